#!/usr/bin/env python3
"""Plots `planner plan ... --format json` output: the time-vs-cost Pareto front and a TP x PP heat
map of the best step time.

  planner plan dgx-a100-80gb gpt3-175b --gpus 512 --global-batch 1536 --top 1000 --format json \\
      > plan512.json
  scripts/plot_plan.py plan512.json -o plan.png
  planner plan ... --format json | scripts/plot_plan.py - -o plan.svg

Pareto front (left panel): every plan is a point (x: step time in s, y: USD per step or per 1B
training tokens); the Pareto-optimal ones (no other plan is both faster and cheaper) are marked
and labelled with their layout. Within ONE plan JSON every plan has the same GPU count and price,
so cost per step = step time x GPUs x price / 3600 and the front is a single point, the fastest
plan. Pass several plan JSONs (other --gpus, other clusters) to see a real trade-off.

Heat map (right panel): the best step time for each (tp, pp) pair among the plans in ONE input
(the first, or --heatmap K). It only sees the plans the JSON holds: `planner plan` keeps the
--top K best (at most 1000), so pairs whose layouts all rank below the top K show as empty.
Use --top 1000 for the heat map.

The output format follows the extension of -o: .png (default dpi 100) or .svg. Needs only
matplotlib (Debian: python3-matplotlib); no display. Exit status 2 for bad input.
"""
import argparse
import math
import os
import sys

from plot_common import (InputError, add_output_arguments, check_image_path, degrees_label,
                         import_pyplot, is_number, load_planner_json, save_figure)

PLAN_KEYS = ("schema_version", "model", "cluster", "gpus", "global_batch", "plans")
ENTRY_KEYS = ("layout", "step_time_s", "cost_per_step_usd", "tokens_per_s_per_gpu")
LAYOUT_KEYS = ("dp", "tp", "pp", "cp", "ep", "vpp", "micro_batch", "zero", "recompute", "sp")


def load_plan(path):
    """The plan JSON at `path` ('-' for stdin), checked against schema 1."""
    d, name = load_planner_json(path, "plan")
    if "plans" not in d and "layout" in d and "memory" in d:
        raise InputError("%s: this is `planner explain` JSON (one layout); plot_plan.py reads "
                         "`planner plan ... --format json` (scripts/plot_memory.py reads explain)"
                         % name)
    missing = [k for k in PLAN_KEYS if k not in d]
    if missing:
        raise InputError("%s: not `planner plan` JSON: missing key%s %s"
                         % (name, "s" if len(missing) > 1 else "", ", ".join(missing)))
    if not isinstance(d["plans"], list) or not d["plans"]:
        raise InputError("%s: 'plans' must be a non-empty list" % name)
    for i, p in enumerate(d["plans"]):
        bad = [k for k in ENTRY_KEYS if not isinstance(p, dict) or k not in p]
        if not bad and isinstance(p["layout"], dict):
            bad = ["layout." + k for k in LAYOUT_KEYS if k not in p["layout"]]
        if bad:
            raise InputError("%s: plans[%d] lacks %s" % (name, i, ", ".join(bad)))
        for k in ("step_time_s", "cost_per_step_usd", "tokens_per_s_per_gpu"):
            v = p[k]
            if not is_number(v) or v <= 0:
                raise InputError("%s: plans[%d].%s must be a positive number, got %r"
                                 % (name, i, k, v))
    d["_name"] = name
    return d


def layout_label(l):
    """Short layout name: 'tp2 pp8 vpp6 dp32 mb1 z2 sp' (+ cp, ep, recompute when used)."""
    s = degrees_label(l)
    s += " dp%d mb%d z%d" % (l["dp"], l["micro_batch"], l["zero"])
    if l.get("recompute", "none") != "none":
        s += " rc=%s" % ("sel" if l["recompute"] == "selective" else l["recompute"])
    if l.get("sp"):
        s += " sp"
    return s


def run_label(d):
    return "%s x %d" % (d["cluster"], d["gpus"])


def cost_of(p, per_tokens, gpus):
    if not per_tokens:
        return p["cost_per_step_usd"]
    tokens_per_step = p["tokens_per_s_per_gpu"] * gpus * p["step_time_s"]
    return p["cost_per_step_usd"] / tokens_per_step * 1e9


def pareto(points):
    """Indices of the points (x, y) no other point beats in both (ties: the first kept)."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front, best_y = [], math.inf
    for i in order:
        if points[i][1] < best_y:
            front.append(i)
            best_y = points[i][1]
    return front


def draw_pareto(ax, runs, per_tokens, max_labels):
    import matplotlib.pyplot as plt
    colours = plt.get_cmap("tab10")
    all_pts = []  # (x, y, run index, plan)
    # Legend and colours in (cluster, GPUs) order, whatever the order of the inputs.
    order = sorted(range(len(runs)), key=lambda i: (runs[i]["cluster"], runs[i]["gpus"]))
    for c, r in enumerate(order):
        d = runs[r]
        xs, ys = [], []
        for p in d["plans"]:
            y = cost_of(p, per_tokens, d["gpus"])
            xs.append(p["step_time_s"])
            ys.append(y)
            all_pts.append((p["step_time_s"], y, r, p))
        ax.scatter(xs, ys, s=10, alpha=0.35, color=colours(c % 10), linewidths=0,
                   label="%s: %d plans" % (run_label(d), len(d["plans"])))
    front = [all_pts[i] for i in pareto([(x, y) for x, y, _, _ in all_pts])]
    ax.plot([f[0] for f in front], [f[1] for f in front], "-", color="black", lw=1, zorder=3)
    ax.scatter([f[0] for f in front], [f[1] for f in front], s=70, marker="*", color="black",
               zorder=4, label="Pareto-optimal (%d)" % len(front))
    ax.set_xlabel("step time (s)")
    ax.set_ylabel("cost per 1B tokens (USD)" if per_tokens else "cost per step (USD)")
    ax.grid(True, alpha=0.3)
    # Room on the right for the labels of the rightmost front points, and below for the lowest.
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo, hi + 0.3 * (hi - lo))
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo - 0.08 * (hi - lo), hi)
    many = len(front) > max_labels
    several_runs = len(runs) > 1
    notes = []
    to_axes = ax.transData + ax.transAxes.inverted()
    for k, (x, y, r, p) in enumerate(front):
        text = layout_label(p["layout"])
        if several_runs:
            text = run_label(runs[r]) + ": " + text
        if many:
            notes.append("%d  %s" % (k + 1, text))
            text = str(k + 1)
        # Labels go right of their point (left near the right edge), nudged up or down so they
        # stay inside the axes; neighbours on the front alternate above and below.
        fx, fy = to_axes.transform((x, y))
        right = fx < 0.55
        if not right:  # below-left of the front nothing is plotted (nothing beats it)
            dy = -14 if fy > 0.06 else 14
        else:
            dy = (12 if k % 2 else -12) if 0.12 < fy < 0.88 else (14 if fy <= 0.12 else -14)
        ax.annotate(text, (x, y), xytext=(10 if right else -10, dy), textcoords="offset points",
                    fontsize=8, ha="left" if right else "right", va="center", zorder=5,
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="0.6", alpha=0.9),
                    arrowprops=dict(arrowstyle="-", color="0.4", lw=0.6))
    if notes:
        ax.text(0.99, 0.01, "\n".join(notes), transform=ax.transAxes, fontsize=7, ha="right",
                va="bottom", family="monospace",
                bbox=dict(boxstyle="round", fc="white", ec="0.6", alpha=0.9))
    model = runs[0]["model"]
    ax.set_title("%s: step time vs cost, global batch %s" %
                 (model, "/".join(sorted({str(d["global_batch"]) for d in runs}, key=int))))
    leg = ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    for h in getattr(leg, "legend_handles", None) or getattr(leg, "legendHandles", []):
        h.set_alpha(1)
    if len(runs) == 1 and not notes:
        # All plans of one run lie on the ray cost = time x GPUs x price: the lower right is empty.
        ax.text(0.99, 0.02,
                "one GPU count and price: cost = time x GPUs x $/GPU-h,\nso the front is the "
                "fastest plan; pass several plan JSONs\n(other --gpus or clusters) to compare",
                transform=ax.transAxes, fontsize=7.5, ha="right", va="bottom", color="0.3")


def draw_heatmap(fig, ax, d):
    import numpy as np
    best = {}
    for p in d["plans"]:
        key = (p["layout"]["tp"], p["layout"]["pp"])
        if key not in best or p["step_time_s"] < best[key]:
            best[key] = p["step_time_s"]
    tps = sorted({k[0] for k in best})
    pps = sorted({k[1] for k in best})
    grid = np.full((len(pps), len(tps)), np.nan)
    for (tp, pp), t in best.items():
        grid[pps.index(pp), tps.index(tp)] = t
    cmap = __import__("matplotlib").colormaps["viridis_r"].copy()
    cmap.set_bad("0.92")
    im = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, origin="lower", aspect="auto")
    ax.set_xticks(range(len(tps)), [str(t) for t in tps])
    ax.set_yticks(range(len(pps)), [str(p) for p in pps])
    ax.set_xlabel("tensor-parallel degree (tp)")
    ax.set_ylabel("pipeline stages (pp)")
    lo, hi = np.nanmin(grid), np.nanmax(grid)
    for i in range(len(pps)):
        for j in range(len(tps)):
            v = grid[i, j]
            if np.isnan(v):
                ax.text(j, i, "not in\ntop %d" % len(d["plans"]), ha="center", va="center",
                        fontsize=7, color="0.45")
            else:
                dark = hi > lo and (v - lo) / (hi - lo) > 0.6
                ax.text(j, i, "%.3g" % v, ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
    fig.colorbar(im, ax=ax, label="best step time (s)")
    ax.set_title("%s: best step time per (tp, pp)\namong the %d plans in the JSON (grey: none)" %
                 (run_label(d), len(d["plans"])))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Plot `planner plan ... --format json`: the step-time vs cost Pareto front "
                    "and a tp x pp heat map of the best step time.",
        epilog="The heat map only sees the plans in the JSON: run planner plan with --top 1000 "
               "(its maximum). Within one plan JSON cost is proportional to time, so the Pareto "
               "front is the fastest plan; pass several JSONs (other --gpus or clusters) for a "
               "trade-off. Exit status 2 for bad input.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+", metavar="PLAN_JSON",
                    help="output of `planner plan ... --format json`; '-' reads stdin")
    add_output_arguments(ap)
    ap.add_argument("--plot", choices=("both", "pareto", "heatmap"), default="both",
                    help="which panels to draw (default: both)")
    ap.add_argument("--cost", choices=("step", "tokens"), default="step",
                    help="y axis: USD per step (default) or USD per 1B training tokens")
    ap.add_argument("--heatmap", type=int, default=1, metavar="K",
                    help="draw the heat map of the K-th input (default: 1, the first)")
    ap.add_argument("--max-labels", type=int, default=8, metavar="N",
                    help="label up to N Pareto points in place; more get numbers and a key")
    a = ap.parse_args(argv)
    prog = os.path.basename(sys.argv[0]) if argv is None else "plot_plan.py"
    try:
        check_image_path(a.output)
        if a.inputs.count("-") > 1:
            raise InputError("'-' (stdin) given more than once")
        if not 1 <= a.heatmap <= len(a.inputs):
            raise InputError("--heatmap %d: there %s %d input%s" % (
                a.heatmap, "is" if len(a.inputs) == 1 else "are", len(a.inputs),
                "" if len(a.inputs) == 1 else "s"))
        if not 1 <= a.dpi <= 1000:
            raise InputError("--dpi must be between 1 and 1000")
        runs = [load_plan(p) for p in a.inputs]
        models = sorted({d["model"] for d in runs})
        if len(models) > 1:
            raise InputError("the inputs plan different models (%s); compare one model at a time"
                             % ", ".join(models))
        if len({d["global_batch"] for d in runs}) > 1:
            print("%s: warning: the inputs use different global batches; step times are not "
                  "comparable (use --cost tokens)" % prog, file=sys.stderr)
    except InputError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return 2

    plt = import_pyplot(prog)
    if plt is None:
        return 1

    panels = ["pareto", "heatmap"] if a.plot == "both" else [a.plot]
    fig, axes = plt.subplots(1, len(panels), figsize=(7.5 * len(panels), 6),
                             gridspec_kw={"width_ratios": [1.25, 1][:len(panels)]}
                             if len(panels) == 2 else None,
                             squeeze=False)
    for ax, panel in zip(axes[0], panels):
        if panel == "pareto":
            draw_pareto(ax, runs, a.cost == "tokens", a.max_labels)
        else:
            draw_heatmap(fig, ax, runs[a.heatmap - 1])
    return save_figure(fig, a.output, a.dpi, prog)


if __name__ == "__main__":
    sys.exit(main())
