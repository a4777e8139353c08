#!/usr/bin/env python3
"""Output that cannot be written must not exit 0, and files are never left half-written.

  output_test.py --planner PATH

1. Every subcommand `planner --help` lists, run to a successful report with stdout on /dev/full,
   exits 3 with one "cannot write standard output" line; so does its --help. A subcommand with
   no entry in RUNS fails the test, so a new subcommand must be added here.
2. `simulate --trace T`: two concurrent writers leave one complete, valid JSON; writers killed
   at many moments leave T absent, the old file or a complete trace, never a truncated one.
3. An output path that is one of the run's inputs is refused (exit 2) and the input is intact.
Exit 0 when every check passes; one line per failure.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CALIB_JSON = os.path.join(HERE, "..", "..", "bench", "results", "cpu-mpi",
                          "commbench_np4_4M-24M.json")
# CPU ranks written as A100 NVLink: a fit refused unless --force (see tests/cli/cases.yaml).
CALIBRATE = ["calibrate", "--commbench", CALIB_JSON, "--cluster", "dgx-a100-80gb", "--level",
             "nvlink", "--force", "-o"]
# Four records, not tests/data/runs.yaml: the report has the same columns and sections, and the
# full file's leave-one-source-out refits take ~20 s a run under the sanitizers.
RUNS_YAML = os.path.join(HERE, "validate_four_runs.yaml")
SIM = ["simulate", "dgx-a100-80gb", "gpt3-175b", "--gpus", "64", "--tp", "8", "--pp", "8",
       "--global-batch", "64"]

# Cheap, successful runs: each writes a report to stdout.
RUNS = {
    "count": ["gpt2-xl"],
    "flops": ["gpt2-xl"],
    "plan": ["dgx-a100-80gb", "gpt2-xl", "--gpus", "8", "--global-batch", "64", "--quiet"],
    "explain": ["dgx-a100-80gb", "gpt2-xl", "--gpus", "8"],
    "simulate": SIM[1:],
    "size": ["gpt2-xl", "--tokens", "1e9", "--gpu", "dgx-a100-80gb", "--max-gpus", "16", "--quiet"],
    "sensitivity": ["gpt2-xl", "--tokens", "1e9", "--gpu", "dgx-a100-80gb", "--gpus", "8"],
    "compare": ["--run", "a:gpt2-xl:1e9:dgx-a100-80gb:8"],
    "chinchilla": ["--flops", "5.76e23"],
    "validate": [RUNS_YAML],
    "calibrate": CALIBRATE[1:] + ["{tmp}/cal.yaml"],
    "presets": [],
}


def subcommands(planner):
    out = subprocess.run([planner, "--help"], capture_output=True, text=True).stdout
    return re.findall(r"^  ([a-z][a-z-]*) ", out, re.M)


def to_dev_full(planner, args):
    with open("/dev/full", "w") as full:
        return subprocess.run([planner] + args, stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=120)


def check_dev_full(planner, tmp, fail):
    names = subcommands(planner)
    if len(names) < 10:
        fail("planner --help lists only %r" % names)
    for name in names:
        if name not in RUNS:
            fail("%s: no run in RUNS (add one that prints a report)" % name)
            continue
        for args in ([name] + [a.format(tmp=tmp) for a in RUNS[name]], [name, "--help"]):
            p = to_dev_full(planner, args)
            lines = p.stderr.strip().splitlines()
            if p.returncode != 3 or not lines or \
                    not lines[-1].startswith("planner: error: cannot write standard output"):
                fail("%s > /dev/full: exit %d, stderr %r" % (" ".join(args), p.returncode,
                                                             p.stderr[-400:]))


def valid_trace(path):
    with open(path) as f:
        return "traceEvents" in json.load(f)


def check_trace(planner, tmp, fail):
    trace = os.path.join(tmp, "trace.json")
    procs = [subprocess.Popen([planner] + SIM + ["--trace", trace], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for _ in range(2)]
    for p in procs:
        if p.wait(timeout=120) != 0:
            fail("concurrent simulate --trace: exit %d" % p.returncode)
    try:
        if not valid_trace(trace):
            fail("concurrent simulate --trace: no traceEvents")
    except (OSError, ValueError) as e:
        fail("concurrent simulate --trace: %s" % e)
    # Killed at moments spread over a whole run (measured: about `full` seconds).
    start = time.monotonic()
    subprocess.run([planner] + SIM + ["--trace", trace], capture_output=True, check=True)
    full = time.monotonic() - start
    for i in range(12):
        p = subprocess.Popen([planner] + SIM + ["--trace", trace], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(full * i / 10)
        p.send_signal(signal.SIGKILL)
        p.wait()
        try:
            if os.path.exists(trace) and not valid_trace(trace):
                fail("killed after %.3f s: no traceEvents" % (full * i / 10))
        except ValueError as e:
            fail("killed after %.3f s: truncated trace (%s)" % (full * i / 10, e))


def check_input_not_overwritten(planner, tmp, fail):
    model = os.path.join(tmp, "model.yaml")
    shutil.copy(os.path.join(HERE, "..", "..", "configs", "models", "gpt2-xl.yaml"), model)
    before = open(model).read()
    p = subprocess.run([planner, "simulate", "dgx-a100-80gb", model, "--gpus", "8",
                        "--trace", model], capture_output=True, text=True)
    if p.returncode != 2 or "it is also an input of this run" not in p.stderr:
        fail("--trace onto the model: exit %d, %r" % (p.returncode, p.stderr))
    if open(model).read() != before:
        fail("--trace onto the model changed it")
    run = os.path.join(tmp, "run.json")
    shutil.copy(CALIB_JSON, run)
    p = subprocess.run([planner] + [run if a == CALIB_JSON else a for a in CALIBRATE] + [run],
                       capture_output=True, text=True)
    if p.returncode != 2 or "it is also an input of this run" not in p.stderr:
        fail("calibrate -o onto its --commbench: exit %d, %r" % (p.returncode, p.stderr))
    if open(run).read() != open(CALIB_JSON).read():
        fail("calibrate -o onto its --commbench changed it")


def main():
    ap = argparse.ArgumentParser()
    checks = {"dev-full": check_dev_full, "trace": check_trace,
              "inputs": check_input_not_overwritten}
    ap.add_argument("--planner", required=True)
    ap.add_argument("--only", choices=sorted(checks),
                    help="one group of checks (ctest runs the three side by side); default all")
    a = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, check in checks.items():
            if a.only in (None, name):
                check(os.path.abspath(a.planner), tmp, lambda m: failures.append(m))
    for f in failures:
        print("FAIL " + f)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
