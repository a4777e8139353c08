#!/usr/bin/env python3
"""Plots `planner size ... --format json` output: wall-clock days against dollars, one line per GPU
type, one point per GPU count (labelled with the count), with the marks of `planner size`.

  planner size llama3-70b --tokens 15T --deadline-days 90 --budget-usd 30M --format json \\
      > size.json
  scripts/plot_size.py size.json -o size.png
  planner size gpt3-175b --tokens 300e9 --format json | scripts/plot_size.py - -o size.svg

Along a GPU type's line the GPU count doubles: days fall and dollars rise once scaling is below
100%. Marks: a star for the cheapest run meeting --deadline-days, a diamond for the fastest run
within the budget, a ring for each GPU type's knee (the last count before a doubling buys less
than the --knee-efficiency share of the ideal extra throughput), a grey cross on each run whose MFU
is above the highest a published run measured there (optimistic). The deadline and budget are
drawn as dashed lines. Both axes are logarithmic unless --linear.

The output format follows the extension of -o: .png or .svg. Needs only matplotlib (Debian:
python3-matplotlib; run with /usr/bin/python3 if another python3 comes first); no display.
Exit status 2 for bad input, 1 when matplotlib is missing.
"""
import argparse
import os
import sys

from plot_common import (InputError, add_output_arguments, check_image_path, import_pyplot,
                         is_number, load_planner_json, save_figure)

ROW_NUMBERS = ("days", "cost_usd")


def check_row(name, where, row):
    if not isinstance(row, dict) or "gpus" not in row or "fits" not in row:
        raise InputError("%s: %s lacks gpus or fits" % (name, where))
    if not row["fits"]:
        return
    for k in ROW_NUMBERS:
        v = row.get(k)
        if not is_number(v) or v <= 0:
            raise InputError("%s: %s.%s must be a positive number, got %r" % (name, where, k, v))


def load_size(path):
    """The size JSON at `path` ('-' for stdin), checked against schema 1."""
    d, name = load_planner_json(path, "size")
    if "gpu_types" not in d:
        hint = " (plot_plan.py reads `planner plan` JSON)" if "plans" in d else ""
        raise InputError("%s: not `planner size` JSON: no gpu_types%s" % (name, hint))
    if not isinstance(d["gpu_types"], list) or not d["gpu_types"]:
        raise InputError("%s: 'gpu_types' must be a non-empty list" % name)
    for i, t in enumerate(d["gpu_types"]):
        if not isinstance(t, dict) or "cluster" not in t or not isinstance(t.get("rows"), list):
            raise InputError("%s: gpu_types[%d] lacks cluster or rows" % (name, i))
        for j, row in enumerate(t["rows"]):
            check_row(name, "gpu_types[%d].rows[%d]" % (i, j), row)
    if not any(r["fits"] for t in d["gpu_types"] for r in t["rows"]):
        raise InputError("%s: no GPU type has a run that fits: nothing to plot" % name)
    return d


def marked(d, key):
    """(cluster, gpus) pairs the JSON marks under `key` (one ref or a list)."""
    ref = d.get("marks", {}).get(key)
    refs = ref if isinstance(ref, list) else [ref] if ref else []
    return {(r["cluster"], r["gpus"]) for r in refs}


def count_label(gpus):
    return "%dk" % (gpus // 1024) if gpus >= 1024 and gpus % 1024 == 0 else str(gpus)


def draw(ax, d, log_axes):
    import matplotlib.pyplot as plt
    colours = plt.get_cmap("tab10")
    on_time = marked(d, "cheapest_meeting_deadline")
    in_budget = marked(d, "fastest_within_budget")
    knees = marked(d, "knees")
    optimistic_labelled = False
    for k, t in enumerate(d["gpu_types"]):
        rows = [r for r in t["rows"] if r["fits"]]
        if not rows:
            continue
        c = colours(k % 10)
        xs = [r["days"] for r in rows]
        ys = [r["cost_usd"] for r in rows]
        ax.plot(xs, ys, "-o", color=c, ms=4, lw=1.2, label="%s (%s)" % (t["cluster"],
                                                                         t.get("gpu", "")))
        for r in rows:
            key = (t["cluster"], r["gpus"])
            ax.annotate(count_label(r["gpus"]), (r["days"], r["cost_usd"]), xytext=(4, 4),
                        textcoords="offset points", fontsize=7, color=c)
            if "above measured MFU" in r.get("marks", []):
                # The model extrapolates beyond any published run here: a grey cross on the point.
                ax.scatter([r["days"]], [r["cost_usd"]], s=90, marker="x", color="0.15",
                           linewidths=1.3, zorder=4,
                           label=None if optimistic_labelled else "above measured MFU (optimistic)")
                optimistic_labelled = True
            if key in knees:
                ax.scatter([r["days"]], [r["cost_usd"]], s=140, facecolors="none",
                           edgecolors=c, linewidths=1.5, zorder=4)
            if key in on_time:
                ax.scatter([r["days"]], [r["cost_usd"]], s=260, marker="*", color="black",
                           zorder=5, label="cheapest on time: %d x %s" % (r["gpus"], t["cluster"]))
            if key in in_budget:
                ax.scatter([r["days"]], [r["cost_usd"]], s=110, marker="D", facecolors="none",
                           edgecolors="black", linewidths=1.5, zorder=5,
                           label="fastest in budget: %d x %s" % (r["gpus"], t["cluster"]))
    crit = d.get("criteria", {})
    if crit.get("deadline_days"):
        ax.axvline(crit["deadline_days"], ls="--", color="0.4", lw=1,
                   label="deadline %g days" % crit["deadline_days"])
    if crit.get("budget_usd"):
        ax.axhline(crit["budget_usd"], ls=":", color="0.4", lw=1,
                   label="budget $%s" % format(int(round(crit["budget_usd"])), ","))
    if log_axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("wall-clock days")
    ax.set_ylabel("cost (USD, list-price defaults unless your cluster files set prices)")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7.5, loc="best", framealpha=0.9)
    ax.set_title(title(d) + "\npoints: GPU count (whole nodes, doubling); rings: knee at %d%% "
                 "marginal efficiency" % round(100 * crit.get("knee_efficiency", 0.8)),
                 fontsize=10)


def human(n):
    """Counts as papers write them: 300B, 1.4T, 15T."""
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= scale:
            return "%.3g%s" % (n / scale, suffix)
    return "%.3g" % n


def title(d):
    first = d["gpu_types"][0]
    crit = d.get("criteria", {})
    if crit.get("chinchilla_budget_usd"):
        return "Chinchilla-optimal model for $%s per GPU type" % format(
            int(round(crit["chinchilla_budget_usd"])), ",")
    model = first.get("model", {})
    tokens = first.get("tokens")
    return "%s for %s tokens: days vs dollars" % (
        model.get("name", "model"), human(tokens) if tokens else "?")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Plot `planner size ... --format json`: days vs dollars per GPU type.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", metavar="SIZE_JSON",
                    help="output of `planner size ... --format json`; '-' reads stdin")
    add_output_arguments(ap)
    ap.add_argument("--linear", action="store_true", help="linear axes (default: log-log)")
    a = ap.parse_args(argv)
    prog = os.path.basename(sys.argv[0]) if argv is None else "plot_size.py"
    try:
        check_image_path(a.output)
        if not 1 <= a.dpi <= 1000:
            raise InputError("--dpi must be between 1 and 1000")
        d = load_size(a.input)
    except InputError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return 2
    plt = import_pyplot(prog)
    if plt is None:
        return 1
    fig, ax = plt.subplots(figsize=(9, 6.5))
    draw(ax, d, not a.linear)
    return save_figure(fig, a.output, a.dpi, prog)


if __name__ == "__main__":
    sys.exit(main())
