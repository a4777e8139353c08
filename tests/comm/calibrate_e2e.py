#!/usr/bin/env python3
"""planner calibrate end to end on this machine: measure, fit, write, use, predict a fresh run.

1. mpirun -n 4 commbench --backend mpi: all_reduce at 4, 6, ..., 24 MiB (the bandwidth regime the
   planner's tensor- and data-parallel messages live in; bench/results/cpu-mpi/README.md), 5
   timed calls per size after 1 warm-up, no correctness check (other tests check it): about 15 s
   on the 2-core VM under load.
2. planner calibrate --commbench X --cluster dgx-a100-80gb --level nvlink --force -o Y (CPU
   bandwidth is implausible for NVLink: the file must carry the warning); the printed
   held-out MAPE (fitted on alternate sizes, the others predicted) must be below HELD_OUT_BOUND.
3. Y loads and is used: planner explain Y gpt3-xl --tp 4 --stack megatron-lm --no-sp prices its
   TP communication (two
   all-reduces per layer forward, 24 layers) with the fit, the same time validate --bench
   predicts in step 4.
4. A fresh commbench run at 8 MiB, one gpt3-xl layer's activations at micro-batch 1
   (2048 x 2048 x 2 bytes), then planner validate --bench on it with Y: the planner's TP
   all-reduce time must be within a factor AGREEMENT_FACTOR of the measured one.

Bounds. The CI VM has 2 cores shared with other jobs (load averages 2 to 13), and 4 ranks
oversubscribe them. Timings move by tens of percent between runs a minute apart and by up to 3x
over an hour (8 MiB all-reduce: 15 ms in one run, 74 ms in another), which is why steps 1 and 4
run back to back. Measured here: held-out MAPE 7.6 to 11 %, single sizes off by up to 36 %; TP
all-reduce error +8 %. The bounds leave room for that noise while a broken path still fails by
far: a unit slip (us for s, GiB for GB) is off by 7 % to 1e6x at every size, and a fit the
planner ignores leaves the A100 NVLink preset's 190 GB/s, off by -99.9 %. The agreement bound
is a ratio because the noise is multiplicative (a neighbour's build halves the bandwidth). The 15 % figure of the issue
is measured and reported by hand (docs/calibrate.md), not asserted here.

usage: calibrate_e2e.py --planner P --commbench C --mpirun M --out DIR
"""
import argparse
import os
import re
import subprocess
import sys

HELD_OUT_BOUND = 0.50    # mean held-out MAPE of the all_reduce fit
AGREEMENT_FACTOR = 3.0   # predicted / measured of the TP all-reduce at 8 MiB, either way: the VM
#                          drifts up to 3x (see Bounds above; a CI run measured 2.2x under load)
TP_BYTES = 2048 * 1 * 2048 * 2  # gpt3-xl: seq 2048, micro-batch 1, d_model 2048, 16-bit


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    print(p.stdout + p.stderr, flush=True)
    if p.returncode != 0:
        sys.exit("exit %d: %s" % (p.returncode, " ".join(cmd)))
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--planner", required=True)
    ap.add_argument("--commbench", required=True)
    ap.add_argument("--mpirun", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    mpirun = [a.mpirun, "--allow-run-as-root", "--oversubscribe", "-n", "4", a.commbench,
              "--backend", "mpi"]
    sweep = os.path.join(a.out, "sweep.json")
    fresh = os.path.join(a.out, "fresh.json")
    calibrated = os.path.join(a.out, "calibrated.yaml")

    timing = ["-n", "5", "-w", "1", "-c", "0"]
    run(mpirun + ["-b", "4M", "-e", "24M", "-i", "2M", "-f", "1"] + timing +
        ["--json", sweep, "all_reduce"])
    # CPU ranks are no NVLink: calibrate refuses the fit's bandwidth unless --force, and then
    # the file says so.
    out = run([a.planner, "calibrate", "--commbench", sweep, "--cluster", "dgx-a100-80gb",
               "--level", "nvlink", "--force", "-o", calibrated])
    with open(calibrated) as f:
        if not f.readline().startswith("# WARNING: written with --force although all_reduce"):
            sys.exit("the forced calibration's file carries no warning")
    m = re.search(r"mean held-out MAPE: ([0-9.]+)%", out)
    if not m:
        sys.exit("calibrate printed no held-out MAPE")
    held_out = float(m.group(1)) / 100
    if not held_out < HELD_OUT_BOUND:
        sys.exit("held-out MAPE %.1f%% >= %.0f%%" % (100 * held_out, 100 * HELD_OUT_BOUND))

    # The megatron-lm stack without SP: the two forward all-reduces per layer exposed, the
    # backward ones beside the weight gradients (no TE userbuffers splitting them in chunks).
    explain = run([a.planner, "explain", calibrated, "gpt3-xl", "--tp", "4", "--stack",
                   "megatron-lm", "--no-sp"])
    tp_comm = re.search(r"tp communication +([0-9.]+) +s", explain)
    if not tp_comm:
        sys.exit("explain printed no tp communication")

    run(mpirun + ["-b", str(TP_BYTES), "-e", str(TP_BYTES)] + timing +
        ["--json", fresh, "all_reduce"])
    out = run([a.planner, "validate", "--bench", fresh, "--cluster", calibrated, "--model",
               "gpt3-xl", "--micro-batch", "1", "--tp", "4"])
    m = re.search(r"TP all-reduce of one gpt3-xl layer .*error ([-+][0-9.]+)%", out)
    if not m:
        sys.exit("validate --bench printed no TP all-reduce line")
    error = float(m.group(1)) / 100
    predicted_s = float(re.search(r"predicted ([0-9.]+) ms", m.group(0)).group(1)) / 1e3
    expected_s = 2 * 24 * predicted_s  # gpt3-xl: 24 layers, 2 all-reduces each forward
    if abs(float(tp_comm.group(1)) / expected_s - 1) > 0.01:
        sys.exit("explain's tp communication %s s is not 2 x 24 x %.4f s: the calibrated fit is "
                 "not what explain used" % (tp_comm.group(1), predicted_s))
    if not 1 / AGREEMENT_FACTOR < 1 + error < AGREEMENT_FACTOR:
        sys.exit("TP all-reduce error %+.1f%%: predicted / measured outside 1/%g .. %g" %
                 (100 * error, AGREEMENT_FACTOR, AGREEMENT_FACTOR))
    print("held-out MAPE %.1f%% (bound %.0f%%), TP all-reduce error %+.1f%% (bound: a factor %g)"
          % (100 * held_out, 100 * HELD_OUT_BOUND, 100 * error, AGREEMENT_FACTOR))


if __name__ == "__main__":
    main()
