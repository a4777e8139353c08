#!/usr/bin/env python3
"""Plots `planner sensitivity ... --format json` output as two tornado charts: how far each input
moves the run's expected (goodput-adjusted) days and dollars between its low and high setting,
largest swing on top, around the base run.
  planner sensitivity llama3-70b --tokens 15T --deadline-days 90 --format json > s.json
  scripts/plot_tornado.py s.json -o tornado.png
The bar's two colours are the low and the high setting of the input (labelled on the bar ends).
The output format follows the extension of -o: .png or .svg. Needs only matplotlib (Debian:
python3-matplotlib); no display. Exit status 2 for bad input, 1 when matplotlib is missing.
"""
import argparse
import os
import sys

from plot_common import (InputError, add_output_arguments, check_image_path, import_pyplot,
                         is_number, load_planner_json, save_figure)

INPUT_NUMBERS = ("days_low", "days_high", "usd_low", "usd_high")


def load_sensitivity(path):
    """The sensitivity JSON at `path` ('-' for stdin), checked against schema 1."""
    d, name = load_planner_json(path, "sensitivity")
    if "inputs" not in d or "base" not in d:
        raise InputError("%s: not `planner sensitivity` JSON: no inputs or base" % name)
    if not isinstance(d["inputs"], list) or not d["inputs"]:
        raise InputError("%s: 'inputs' must be a non-empty list" % name)
    for i, s in enumerate(d["inputs"]):
        if not isinstance(s, dict) or not isinstance(s.get("name"), str):
            raise InputError("%s: inputs[%d] lacks a name" % (name, i))
        for k in INPUT_NUMBERS:
            if not is_number(s.get(k)) or s[k] < 0:
                raise InputError("%s: inputs[%d].%s must be a non-negative number, got %r"
                                 % (name, i, k, s.get(k)))
    expected = d["base"].get("expected", {}) if isinstance(d["base"], dict) else {}
    for k in ("days", "cost_usd"):
        if not is_number(expected.get(k)):
            raise InputError("%s: base.expected.%s must be a number" % (name, k))
    return d


def draw_one(ax, inputs, base, low_key, high_key, xlabel):
    names = [s["name"] for s in inputs][::-1]
    for y, s in enumerate(inputs[::-1]):
        lo, hi = s[low_key], s[high_key]
        ax.barh(y, lo - base, left=base, color="#4c72b0", height=0.6)
        ax.barh(y, hi - base, left=base, color="#dd8452", height=0.6)
        ax.annotate(s.get("low", ""), (lo, y), xytext=(-3 if lo < base else 3, 0),
                    textcoords="offset points", va="center", fontsize=7,
                    ha="right" if lo < base else "left")
        ax.annotate(s.get("high", ""), (hi, y), xytext=(3 if hi >= base else -3, 0),
                    textcoords="offset points", va="center", fontsize=7,
                    ha="left" if hi >= base else "right")
    ax.axvline(base, color="black", lw=1)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.grid(True, axis="x", alpha=0.25)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Plot `planner sensitivity ... --format json` as tornado charts.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", metavar="SENSITIVITY_JSON",
                    help="output of `planner sensitivity ... --format json`; '-' reads stdin")
    add_output_arguments(ap)
    a = ap.parse_args(argv)
    prog = os.path.basename(sys.argv[0]) if argv is None else "plot_tornado.py"
    try:
        check_image_path(a.output)
        if not 1 <= a.dpi <= 1000:
            raise InputError("--dpi must be between 1 and 1000")
        d = load_sensitivity(a.input)
    except InputError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return 2
    plt = import_pyplot(prog)
    if plt is None:
        return 1
    base = d["base"]["expected"]
    fig, (ax_days, ax_usd) = plt.subplots(1, 2, figsize=(12, 0.5 * len(d["inputs"]) + 2.2))
    draw_one(ax_days, d["inputs"], base["days"], "days_low", "days_high", "expected days")
    usd = sorted(d["inputs"], key=lambda s: abs(s["usd_high"] - s["usd_low"]), reverse=True)
    draw_one(ax_usd, usd, base["cost_usd"], "usd_low", "usd_high", "expected cost (USD)")
    fig.suptitle("%s on %s x %s: base %.3g days, $%s (blue: low setting, orange: high)"
                 % (d.get("model", "model"), d.get("gpus", "?"), d.get("cluster", "?"),
                    base["days"], format(int(round(base["cost_usd"])), ",")), fontsize=10)
    return save_figure(fig, a.output, a.dpi, prog)


if __name__ == "__main__":
    sys.exit(main())
