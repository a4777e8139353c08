#!/usr/bin/env python3
"""Every subcommand's CSV is one table that scripts can read, named as its JSON is.

  csv_test.py PLANNER

For every subcommand `planner --help` lists (a new one without an entry in RUNS fails), runs
`--format csv --quiet` and `--format json --quiet` and checks that the CSV
1. parses with Python's csv module into one table: a header and at least one row, every row as
   wide as the header (no second table, no blank line, no title or notes);
2. names its columns as keys (lower_snake_case with the project's unit spellings, distinct), each
   of them a key of the JSON report (or parent.key for a nested one);
   a long table (first column `key`, then `value`) instead names each row's value by its path in
   the JSON ("memory.weights_GiB"; a list entry by its name, "streams.compute.mean"), and the JSON
   holds the same number there;
3. holds numbers as numbers: in a column where any cell parses as a float, every non-empty cell
   does; and no cell anywhere is a number dressed for people ("61.9%", "1,024", "$5", "2.9-3.6",
   "12 days").
4. (compare) prints P10-P90 bands that are what they say: the H100 run's step band is its step
   time times the validated factors of configs/validation/error_bands.yaml, and each band's
   ends are in order.
Exit 0 when every check passes; one line per failure.
"""
import csv
import io
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Four records, not tests/data/runs.yaml: the report has the same columns and sections, and the
# full file's leave-one-source-out refits take ~20 s a run under the sanitizers.
RUNS_YAML = os.path.join(HERE, "validate_four_runs.yaml")
CALIB_JSON = os.path.join(HERE, "..", "..", "bench", "results", "cpu-mpi",
                          "commbench_np4_4M-24M.json")

RUNS = {
    "count": ["gpt2-xl"],
    "flops": ["gpt2-xl"],
    "plan": ["dgx-a100-80gb", "gpt2-xl", "--gpus", "8", "--global-batch", "64"],
    "explain": ["dgx-a100-80gb", "gpt2-xl", "--gpus", "8", "--global-batch", "64",
                "--tokens", "1e9"],
    "simulate": ["dgx-a100-80gb", "gpt2-xl", "--gpus", "16", "--pp", "2", "--global-batch", "64"],
    "size": ["gpt2-xl", "--tokens", "1e9", "--gpu", "dgx-a100-80gb", "--max-gpus", "16"],
    "sensitivity": ["gpt2-xl", "--tokens", "1e9", "--gpu", "dgx-a100-80gb", "--gpus", "8"],
    "compare": ["--run", "a:gpt2-xl:1e9:dgx-a100-80gb:8", "--run", "b:gpt2-xl:2e9:dgx-h100:16"],
    "chinchilla": ["--flops", "5.76e23"],
    "validate": [RUNS_YAML],
    "calibrate": ["--commbench", CALIB_JSON, "--cluster", "dgx-a100-80gb", "--level", "nvlink",
                  "--force", "-o", "{tmp}"],
    "presets": [],
}

# lower_snake_case, units as the project writes them (hbm_GiB, bw_GBps); a dot for a nested key
# (cluster.name, loss_nats.chinchilla-3).
KEY = re.compile(r"^[a-z][a-zA-Z0-9_]*(\.[a-z][a-zA-Z0-9_-]*)?$")
# Numbers written for people: percentages, thousands separators, currency, ranges, units.
DRESSED = re.compile(r"^(\$\s*-?[\d.,]+|-?[\d.]+\s*%|-?\d{1,3}(,\d{3})+(\.\d+)?|"
                     r"-?[\d.]+(e[+-]?\d+)?\s*-\s*-?[\d.]+(e[+-]?\d+)?|"
                     r"-?[\d.]+\s*(s|ms|us|days?|GiB|GB|TB|x|K|M|B|T))$")


def is_float(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def json_keys(value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            if isinstance(v, dict):
                out.update(k + "." + c for c in v)
            json_keys(v, out)
    elif isinstance(value, list):
        for v in value:
            json_keys(v, out)
    return out


def check_paths(name, rows, report, fail):
    value = rows[0].index("value")
    for row in rows[1:]:
        node = report
        for part in row[0].split("."):
            if isinstance(node, list):  # an entry by its name: streams.compute.mean
                named = [e for e in node if isinstance(e, dict) and part in e.values()]
                node = named[0] if len(named) == 1 else None
            else:
                node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, (int, float)) or isinstance(node, bool):
            fail("%s: CSV key %r is not a number in its JSON" % (name, row[0]))
        elif not is_float(row[value]) or \
                abs(float(row[value]) - node) > 1e-6 * max(1.0, abs(node)):
            fail("%s: CSV %s = %r, its JSON %r" % (name, row[0], row[value], node))


def run(planner, name, args, fmt):
    return subprocess.run([planner, name] + args + ["--format", fmt, "--quiet"],
                          capture_output=True, text=True, timeout=300)


def check(planner, name, args, fail):
    p = run(planner, name, args, "csv")
    if p.returncode != 0:
        fail("%s --format csv: exit %d: %s" % (name, p.returncode, p.stderr.strip()[-500:]))
        return
    rows = list(csv.reader(io.StringIO(p.stdout)))
    if len(rows) < 2:
        fail("%s: CSV has %d lines, expected a header and rows" % (name, len(rows)))
        return
    header = rows[0]
    for i, row in enumerate(rows[1:], 2):
        if len(row) != len(header):
            fail("%s: CSV line %d has %d fields, the header %d (a second table?): %r" %
                 (name, i, len(row), len(header), row[:6]))
            return
    if len(set(header)) != len(header):
        fail("%s: repeated CSV columns: %r" % (name, header))
    j = run(planner, name, args, "json")
    keys = json_keys(json.loads(j.stdout), set()) if j.returncode == 0 else set()
    if j.returncode != 0:
        fail("%s --format json: exit %d: %s" % (name, j.returncode, j.stderr.strip()[-300:]))
    long_table = header[0] == "key" and "value" in header
    if long_table and keys:
        check_paths(name, rows, json.loads(j.stdout), fail)
    for c, col in enumerate(header):
        if not KEY.match(col):
            fail("%s: CSV column %r is not a key (lower_snake_case)" % (name, col))
        elif keys and col not in keys and not long_table:
            fail("%s: CSV column %r is not a key of its JSON" % (name, col))
        cells = [row[c] for row in rows[1:] if row[c] != ""]
        numeric = [s for s in cells if is_float(s)]
        if numeric and len(numeric) != len(cells):
            bad = [s for s in cells if not is_float(s)]
            fail("%s: column %r mixes numbers and text: %r" % (name, col, bad[:3]))
        for s in cells:
            if DRESSED.match(s.strip()):
                fail("%s: column %r holds %r, a number written for people" % (name, col, s))
                break


def band_factors(generation, stack):
    """(p10_factor, p90_factor) of configs/validation/error_bands.yaml's entry for the pair."""
    import yaml
    path = os.path.join(HERE, "..", "..", "configs", "validation", "error_bands.yaml")
    with open(path) as f:
        for e in yaml.safe_load(f)["bands"]:
            if e["generation"] == generation and e["stack"] == stack:
                return e["p10_factor"], e["p90_factor"]
    return None


def check_bands(planner, fail):
    """compare's CSV: the H100 run's step band is its step time times the validated H100
    megatron-core factors (the default stack's; configs/validation/error_bands.yaml), and every
    band's ends are in order."""
    p = run(planner, "compare", RUNS["compare"], "csv")
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    factors = band_factors("H100", "megatron-core")
    h100 = [r for r in rows if r.get("cluster.name") == "dgx-h100"]
    if not factors or len(h100) != 1:
        fail("compare bands: no H100 megatron-core band or no dgx-h100 row")
        return
    step = float(h100[0]["step_time_s"])
    for end, factor in zip(("step_time_p10_s", "step_time_p90_s"), factors):
        if abs(float(h100[0][end]) - step * factor) > 1e-6 * step:
            fail("compare bands: %s = %s, step %g x factor %g" % (end, h100[0][end], step, factor))
    for r in rows:
        for lo, hi in (("days_p10", "days_p90"), ("cost_usd_p10", "cost_usd_p90")):
            if not float(r[lo]) <= float(r[hi]):
                fail("compare bands: %s %s > %s %s" % (lo, r[lo], hi, r[hi]))


def main():
    planner = os.path.abspath(sys.argv[1])
    failures = []
    fail = failures.append
    out = subprocess.run([planner, "--help"], capture_output=True, text=True).stdout
    names = re.findall(r"^  ([a-z][a-z-]*) ", out, re.M)
    if len(names) < 10:
        fail("planner --help lists only %r" % names)
    tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), "csv_test_%d.yaml" % os.getpid())
    for name in names:
        if name not in RUNS:
            fail("%s: no run in RUNS (add one)" % name)
            continue
        check(planner, name, [a.format(tmp=tmp) for a in RUNS[name]], fail)
    if os.path.exists(tmp):
        os.remove(tmp)
    check_bands(planner, fail)
    for f in failures:
        print("FAIL " + f)
    print("%d subcommands, %d failures" % (len(names), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
