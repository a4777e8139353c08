#!/usr/bin/env python3
"""Runs the planner on a manifest of cases and checks exit code, stderr and stdout.

Each case in the YAML manifest:
  name:        unique id
  args:        argument list (run with the manifest's folder as working directory)
  exit:        expected exit code
  stderr:      expected stderr, exact (optional; `stderr_contains` for a substring)
  stdout_file: file whose content stdout must equal (golden output; optional)
  mask:        regular expressions whose matches in stdout read "<masked>" before the comparison
               with stdout_file (what changes from run to run: elapsed seconds, rates)
  stdout_contains: list of substrings stdout must contain (optional)
  stdout_lacks: list of substrings stdout must not contain (optional)
Exit status 0 when every case passes; prints one line per failure. A crash (signal, sanitizer
report) fails the case whatever it expected.

--update rewrites each stdout_file golden from the actual output, for the cases whose exit code
is the expected one (and that did not crash); every other check still runs and reports. After a
model change: `python3 tests/cli/run_cases.py --update` (planner from build/, or --planner), then
review `git diff tests/cli/golden`.
"""
import argparse
import os
import re
import subprocess
import sys

import yaml


def run_case(planner, folder, case, timeout_s, update=False):
    args = [str(a) for a in case["args"]]
    env = dict(os.environ, COLUMNS="100")
    try:
        p = subprocess.run([planner] + args, cwd=folder, capture_output=True, text=True,
                           timeout=timeout_s, env=env, errors="replace")
    except subprocess.TimeoutExpired:
        return ["timed out after %ss (hang?)" % timeout_s]
    problems = []
    if p.returncode < 0 or "Sanitizer" in p.stderr or "runtime error" in p.stderr:
        problems.append("crashed (rc %d): %s" % (p.returncode, p.stderr[-2000:]))
    if p.returncode != case["exit"]:
        problems.append("exit %d, expected %d; stderr: %s" % (p.returncode, case["exit"],
                                                               p.stderr.strip()))
    if "stderr" in case and p.stderr.strip() != case["stderr"].strip():
        problems.append("stderr\n  got:      %s\n  expected: %s" % (p.stderr.strip(),
                                                                   case["stderr"].strip()))
    if "stderr_contains" in case and case["stderr_contains"] not in p.stderr:
        problems.append("stderr lacks %r; got: %s" % (case["stderr_contains"], p.stderr.strip()))
    if "stdout_file" in case:
        stdout = p.stdout
        for pattern in case.get("mask", []):
            stdout = re.sub(pattern, "<masked>", stdout)
        golden = os.path.join(folder, case["stdout_file"])
        expected = None
        if os.path.exists(golden):
            with open(golden) as f:
                expected = f.read()
        if update and not problems and stdout != expected:
            with open(golden, "w") as f:
                f.write(stdout)
            print("updated %s" % case["stdout_file"])
        elif stdout != expected:
            problems.append("stdout differs from %s:\n%s" % (case["stdout_file"], stdout))
    for s in case.get("stdout_contains", []):
        if s not in p.stdout:
            problems.append("stdout lacks %r" % s)
    for s in case.get("stdout_lacks", []):
        if s in p.stdout:
            problems.append("stdout has %r" % s)
    return problems


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap.add_argument("--planner", default=os.environ.get("PLANNER",
                                                        os.path.join(root, "build", "planner")))
    ap.add_argument("--manifest", default=os.path.join(here, "cases.yaml"))
    ap.add_argument("--update", action="store_true",
                    help="rewrite stdout_file goldens from the actual output")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--min-cases", type=int, default=1)
    ap.add_argument("--shard", default="1/1",
                    help="K/N: run every N-th case from the K-th (ctest runs the shards side by "
                         "side; the case count checks count the whole manifest)")
    a = ap.parse_args()
    shard = re.fullmatch(r"([1-9][0-9]*)/([1-9][0-9]*)", a.shard)
    if not shard or int(shard.group(1)) > int(shard.group(2)):
        print("--shard must be K/N with 1 <= K <= N, got %r" % a.shard)
        return 2
    k, n = int(shard.group(1)), int(shard.group(2))
    if not os.access(a.planner, os.X_OK):
        print("no planner binary at %s (build first, or pass --planner)" % a.planner)
        return 2
    folder = os.path.dirname(os.path.abspath(a.manifest))
    with open(a.manifest) as f:
        cases = yaml.safe_load(f)
    names = [c["name"] for c in cases]
    if len(set(names)) != len(names):
        print("duplicate case names in %s" % a.manifest)
        return 1
    failed = 0
    mine = cases[k - 1::n]
    for case in mine:
        problems = run_case(os.path.abspath(a.planner), folder, case, a.timeout, a.update)
        if problems:
            failed += 1
            print("FAIL %s: %s" % (case["name"], "\n  ".join(problems)))
    print("%d passed, %d failed" % (len(mine) - failed, failed))
    if len(cases) < a.min_cases:
        print("only %d cases; expected at least %d" % (len(cases), a.min_cases))
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
