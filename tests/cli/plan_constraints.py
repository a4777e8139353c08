#!/usr/bin/env python3
"""planner plan's search constraints, checked on every returned layout (issue 14's done-when).

1. `plan dgx-h100 llama2-70b --gpus 256 --global-batch 1024 --tp 8 --max-zero 1
   --memory-headroom 10%`: every plan has tp 8 and ZeRO <= 1, and needs at most 90% of the usable
   memory the same JSON reports; the memory limit it states is 0.9 x usable.
2. Lists: `--tp 4,8 --pp 2,4 --recompute none,selective --dtype bf16`: every plan draws each of
   those from its list.
3. `--memory-headroom 4GiB`: every plan within usable - 4 GiB.
4. Collapse: no two rows share step time and memory (to 1e-9), every row stands for at least one
   layout, and with `--cp 1,2` a row that stands for several has cp 1 when a cp-1 layout of the
   same time and memory exists, which the same search restricted to `--cp 1` shows.

usage: plan_constraints.py PLANNER
"""
import json
import subprocess
import sys

BASE = ["plan", "dgx-h100", "llama2-70b", "--gpus", "256", "--global-batch", "1024",
        "--format", "json"]


def plan(planner, *flags):
    cmd = [planner] + BASE + list(flags)
    if "--top" not in flags:
        cmd += ["--top", "20"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("exit %d: %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
    doc = json.loads(p.stdout)
    if not doc["plans"]:
        sys.exit("no plans: " + " ".join(cmd))
    return doc


def check(ok, what):
    if not ok:
        sys.exit("FAIL: " + what)


def same(a, b):
    close = lambda x, y: abs(x - y) <= 1e-9 * max(abs(x), abs(y))
    return (close(a["step_time_s"], b["step_time_s"]) and
            close(a["memory"]["total_GiB"], b["memory"]["total_GiB"]))


def main():
    planner = sys.argv[1]
    d = plan(planner, "--tp", "8", "--max-zero", "1", "--memory-headroom", "10%")
    check(abs(d["memory_limit_GiB"] - 0.9 * d["usable_GiB"]) < 1e-9, "limit is 0.9 x usable")
    for p in d["plans"]:
        check(p["layout"]["tp"] == 8, "tp 8: %s" % p["layout"])
        check(p["layout"]["zero"] <= 1, "zero <= 1: %s" % p["layout"])
        check(p["memory"]["total_GiB"] <= 0.9 * d["usable_GiB"], "within 90%% of usable: %s" % p)

    d = plan(planner, "--tp", "4,8", "--pp", "2,4", "--recompute", "none,selective",
             "--dtype", "bf16")
    for p in d["plans"]:
        l = p["layout"]
        check(l["tp"] in (4, 8) and l["pp"] in (2, 4), "tp, pp from the lists: %s" % l)
        check(l["recompute"] in ("none", "selective") and l["dtype"] == "bf16", "lists: %s" % l)

    d = plan(planner, "--memory-headroom", "4GiB")
    for p in d["plans"]:
        check(p["memory"]["total_GiB"] <= d["usable_GiB"] - 4, "4 GiB kept free: %s" % p)

    both = plan(planner, "--cp", "1,2", "--tp", "8")
    only1 = plan(planner, "--cp", "1", "--tp", "8", "--top", "1000")
    for i, p in enumerate(both["plans"]):
        check(p["equivalent_layouts"] >= 1, "a row stands for at least itself")
        for q in both["plans"][:i]:
            check(not same(p, q), "two rows with the same time and memory: %s %s" % (p, q))
        if any(same(p, q) for q in only1["plans"]):
            check(p["layout"]["cp"] == 1, "the cp-1 equivalent is preferred: %s" % p["layout"])
    print("plan constraints: %d + %d plans checked" % (len(d["plans"]), len(both["plans"])))


if __name__ == "__main__":
    main()
