#!/usr/bin/env bash
# commbench -c 1 over every collective, datatype and operator at a given rank count, on odd sizes
# (1 .. 70000 bytes in steps of 6999) with the last rank as root; prints one line per datatype and
# operator and exits 1 if any element was wrong or any run failed.
#   bench/results/cpu-mpi/correctness_matrix.sh BUILD_DIR NRANKS
build=${1:?build dir}
n=${2:?rank count}
fail=0
for d in float half bfloat16 double int32; do
  for o in sum prod max min avg; do
    out=$(timeout 120 mpirun --allow-run-as-root --oversubscribe -n "$n" "$build/comm/commbench" \
      --backend mpi -b 1 -e 70000 -i 6999 -f 1 -n 2 -w 1 -c 1 -d $d -o $o -r $((n - 1)) 2>&1)
    rc=$?
    wrong=$(echo "$out" | grep "Out of bounds" | awk '{s += $6} END {print s}')
    rows=$(echo "$out" | grep -vc "^#")
    echo "n=$n d=$d o=$o rc=$rc wrong=$wrong rows=$rows"
    if [ $rc -ne 0 ] || [ "$wrong" != "0" ]; then fail=1; fi
  done
done
exit $fail
