#!/usr/bin/env python3
"""Prices a file of run records the fit never saw (tests/data/heldout/) with `planner validate`
and checks what issue 12 asks of records the project does not contain: every record answered
(none skipped), step-time MAPE within 15%, and, since every record ran, none that the memory model
puts above its GPU's usable memory.

usage: heldout_test.py PLANNER RUNS.yaml --records N
"""
import argparse
import json
import subprocess
import sys

MAX_MAPE = 0.15  # issue 12: "records that the project does not contain ... within 15% MAPE"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('planner')
    ap.add_argument('runs')
    ap.add_argument('--records', type=int, required=True, help='records the file holds')
    a = ap.parse_args()
    out = subprocess.run([a.planner, 'validate', a.runs, '--quiet', '--format', 'json'],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f'validate exited {out.returncode}: {out.stderr.strip()}')
    d = json.loads(out.stdout)
    runs, failures = d['runs'], []
    if d['skipped']:
        failures.append(f"{len(d['skipped'])} skipped, first: {d['skipped'][0]}")
    if len(runs) != a.records:
        failures.append(f'{len(runs)} priced, expected {a.records}')
    mape = sum(abs(r['error']) for r in runs) / max(1, len(runs))
    if mape > MAX_MAPE:
        failures.append(f'step-time MAPE {mape:.2%} above {MAX_MAPE:.0%}')
    over = [r['id'] for r in runs if not r['fits']]
    if over:
        failures.append(f'{len(over)} runs put above usable memory, first: {over[0]}')
    for f in failures:
        print('FAIL', f)
    print(f'{len(runs)} records, step-time MAPE {mape:.2%}, {len(over)} above usable memory')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
