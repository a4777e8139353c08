#!/usr/bin/env bash
# Measures the held-out error of the alpha-beta fit on this machine: commbench over MPI at 4 ranks
# (oversubscribed: the CI VM has 2 cores), fitted by `planner calibrate` on alternate sizes, the
# other half predicted, and written into PREFIX.calibrated.yaml (dgx-a100-80gb with the fits at
# its nvlink level). Records the load average before and after, since the VM is shared and other
# jobs' load moves the timings.
#   [ITERS=20 WARMUP=3] bench/results/cpu-mpi/measure.sh BUILD_DIR OUT_PREFIX [size flags...]
set -euo pipefail
build=${1:?build dir}
prefix=${2:?output prefix}
shift 2
sizes=("$@")
((${#sizes[@]})) || sizes=(-b 1M -e 16M -i 1M -f 1)
{
  echo "# machine: 2-core Debian CI VM ($(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs)"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "${prefix}.txt"
mpirun --allow-run-as-root --oversubscribe -n 4 "${build}/comm/commbench" --backend mpi \
  "${sizes[@]}" -n "${ITERS:-20}" -w "${WARMUP:-3}" -c 1 --machine "2-core Debian CI VM" --json "${prefix}.json" \
  >> "${prefix}.txt"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "${prefix}.txt"
# --force: CPU ranks' bandwidth is implausible for NVLink (calibrate refuses it otherwise); the
# written file says so in its first lines.
"${build}/planner" calibrate --commbench "${prefix}.json" --cluster dgx-a100-80gb --level nvlink \
  --force -o "${prefix}.calibrated.yaml" > "${prefix}.fit.txt"
cat "${prefix}.fit.txt"
