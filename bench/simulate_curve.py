#!/usr/bin/env python3
"""Events per CPU-second of whole `planner simulate` runs, one process each (as a user runs it).

gpt3-175b TP8 PP8 DP8 on 512 A100s at 192, 384, 768 and 1,536 micro-batches; per size the median
of --repeats runs of the rate planner prints (all four graphs of the cause breakdown, graph
building included, divided by the process CPU time they took). Issue 15: the rate at 1,536
micro-batches within 10% of the rate at 192; PERFORMANCE.md has the curve.

  bench/simulate_curve.py [--planner build/planner] [--repeats 5] [--sizes 192 384 768 1536]
"""
import argparse
import re
import statistics
import subprocess
import sys

LINE = re.compile(r"in ([0-9.]+) s, ([0-9.]+) s of CPU \(([0-9.]+) ([kMG]?)events per CPU-second")
SCALE = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9}


def run_once(planner, microbatches):
    out = subprocess.run(
        [planner, "simulate", "dgx-a100-80gb", "gpt3-175b", "--gpus", "512", "--tp", "8", "--pp",
         "8", "--micro-batch", "1", "--global-batch", str(microbatches * 8)],
        check=True, capture_output=True, text=True).stdout
    match = LINE.search(out)
    if not match:
        sys.exit(f"simulate_curve: no events line in planner's output:\n{out}")
    return float(match.group(2)), float(match.group(3)) * SCALE[match.group(4)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--planner", default="build/planner")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[192, 384, 768, 1536])
    args = parser.parse_args()
    rates = {}
    print(f"{'micro-batches':>13}  {'median CPU s':>12}  {'median events per CPU-second':>28}")
    for size in args.sizes:
        runs = [run_once(args.planner, size) for _ in range(args.repeats)]
        rates[size] = statistics.median(rate for _, rate in runs)
        cpu_s = statistics.median(cpu for cpu, _ in runs)
        print(f"{size:>13}  {cpu_s:>12.3f}  {rates[size] / 1e6:>26.2f} M")
    first, last = args.sizes[0], args.sizes[-1]
    if rates[first] > 0:
        print(f"rate at {last} / rate at {first}: {rates[last] / rates[first]:.3f}")


if __name__ == "__main__":
    main()
