#!/usr/bin/env python3
"""Plots the per-GPU memory of one or more layouts from `planner explain ... --format json`:
one stacked bar per file (weights, gradients, optimizer states, activations, recompute/gather
working set, logits, pipeline buffers, CUDA context, communication buffers, allocator
fragmentation), labelled by its layout, with a line at the usable HBM per GPU.

  planner explain dgx-h100 llama2-70b --gpus 64 --global-batch 512 --tp 8 --pp 2 --sp \\
      --format json > megatron.json
  planner explain dgx-h100 llama2-70b --gpus 64 --global-batch 512 --zero 3 --recompute full \\
      --format json > fsdp.json
  scripts/plot_memory.py megatron.json fsdp.json -o memory.png

The bars are the most loaded GPU of each layout (the worse of the first and last pipeline
stage; the JSON's memory.stage says which). The output format follows the extension of -o:
.png (default dpi 100) or .svg. Needs only matplotlib (Debian: python3-matplotlib); no display.
Exit status 2 for bad input.
"""
import argparse
import os
import sys

from plot_common import (InputError, add_output_arguments, check_image_path, degrees_label,
                         import_pyplot, is_number, load_planner_json, save_figure)

EXPLAIN_KEYS = ("schema_version", "model", "cluster", "gpus", "layout", "memory", "usable_GiB")
# (memory key, legend label, colour), bottom to top.
COMPONENTS = (
    ("weights_GiB", "weights", "#1f77b4"),
    ("gradients_GiB", "gradients", "#aec7e8"),
    ("optimizer_GiB", "optimizer states", "#ff7f0e"),
    ("activations_GiB", "activations", "#2ca02c"),
    ("transient_GiB", "recompute / gather working set", "#98df8a"),
    ("logits_GiB", "logits", "#d62728"),
    ("pipeline_buffers_GiB", "pipeline buffers", "#ff9896"),
    ("cuda_context_GiB", "CUDA context", "#9467bd"),
    ("comm_buffers_GiB", "communication buffers", "#c5b0d5"),
    ("fragmentation_GiB", "allocator fragmentation", "#7f7f7f"),
)
LAYOUT_KEYS = ("dp", "tp", "pp", "cp", "ep", "vpp", "micro_batch", "zero", "recompute", "sp")


def load_explain(path):
    """The explain JSON at `path` ('-' for stdin), checked against schema 1."""
    d, name = load_planner_json(path, "explain")
    if "plans" in d:
        raise InputError("%s: this is `planner plan` JSON; plot_memory.py reads `planner explain "
                         "... --format json` (one layout per file; scripts/plot_plan.py reads "
                         "plan)" % name)
    missing = [k for k in EXPLAIN_KEYS if k not in d]
    if missing:
        raise InputError("%s: not `planner explain` JSON: missing key%s %s"
                         % (name, "s" if len(missing) > 1 else "", ", ".join(missing)))
    if not isinstance(d["memory"], dict) or not isinstance(d["layout"], dict):
        raise InputError("%s: 'memory' and 'layout' must be JSON objects" % name)
    bad = ["memory." + k for k, _, _ in COMPONENTS + (("total_GiB", "", ""),)
           if k not in d["memory"]]
    bad += ["layout." + k for k in LAYOUT_KEYS if k not in d["layout"]]
    if bad:
        raise InputError("%s: not `planner explain` JSON: missing %s" % (name, ", ".join(bad)))
    for k in [c[0] for c in COMPONENTS] + ["total_GiB"]:
        v = d["memory"][k]
        if not is_number(v) or v < 0:
            raise InputError("%s: memory.%s must be a non-negative number, got %r" % (name, k, v))
    u = d["usable_GiB"]
    if not is_number(u) or u <= 0:
        raise InputError("%s: usable_GiB must be a positive number, got %r" % (name, u))
    d["_name"] = name
    return d


def layout_label(l):
    """Two lines: parallel degrees, then micro-batch, ZeRO, recompute, SP."""
    s = degrees_label(l)
    s += " dp%d\nmb%d zero%d rc=%s" % (l["dp"], l["micro_batch"], l["zero"], l["recompute"])
    if l.get("sp"):
        s += " sp"
    return s


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Plot per-GPU memory as stacked bars, one per `planner explain ... --format "
                    "json` file, with a line at the usable HBM.",
        epilog="Exit status 2 for bad input.")
    ap.add_argument("inputs", nargs="+", metavar="EXPLAIN_JSON",
                    help="output of `planner explain ... --format json`; '-' reads stdin")
    add_output_arguments(ap)
    ap.add_argument("--title", help="figure title (default: model on cluster x GPUs)")
    a = ap.parse_args(argv)
    prog = os.path.basename(sys.argv[0]) if argv is None else "plot_memory.py"
    try:
        check_image_path(a.output)
        if a.inputs.count("-") > 1:
            raise InputError("'-' (stdin) given more than once")
        if not 1 <= a.dpi <= 1000:
            raise InputError("--dpi must be between 1 and 1000")
        runs = [load_explain(p) for p in a.inputs]
    except InputError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return 2

    plt = import_pyplot(prog)
    if plt is None:
        return 1

    n = len(runs)
    fig, ax = plt.subplots(figsize=(max(6.5, 2.2 * n + 4.0), 6))
    xs = list(range(n))
    bottoms = [0.0] * n
    used = set()
    for key, label, colour in COMPONENTS:
        values = [d["memory"][key] for d in runs]
        if not any(v > 0 for v in values):
            continue  # a component no layout has (logits on stage 0, no working set) stays out
        used.add(key)
        ax.bar(xs, values, 0.6, bottom=bottoms, label=label, color=colour, edgecolor="white",
               linewidth=0.5)
        bottoms = [b + v for b, v in zip(bottoms, values)]
    usable = [d["usable_GiB"] for d in runs]
    same_cluster = len({(d["cluster"], d["usable_GiB"]) for d in runs}) == 1
    if same_cluster:
        ax.axhline(usable[0], color="black", ls="--", lw=1.2,
                   label="usable HBM (%.1f GiB)" % usable[0])
    else:
        for i, u in enumerate(usable):
            ax.hlines(u, i - 0.4, i + 0.4, color="black", ls="--", lw=1.2,
                      label="usable HBM per GPU" if i == 0 else None)
    top = max(max(bottoms), max(usable))
    for i, d in enumerate(runs):
        total = d["memory"]["total_GiB"]
        over = total > d["usable_GiB"]
        ax.text(i, bottoms[i] + 0.01 * top, "%.1f GiB%s" % (total, "\nDOES NOT FIT" if over else ""),
                ha="center", va="bottom", fontsize=9, fontweight="bold",
                color="#b00000" if over else "black")
    labels = []
    for d in runs:
        l = layout_label(d["layout"])
        if not same_cluster:
            l = "%s x %d\n%s" % (d["cluster"], d["gpus"], l)
        l += "\nstep %.2f s, stage %d" % (d.get("step_time_s", float("nan")), d["memory"]["stage"])
        labels.append(l)
    ax.set_xticks(xs, labels, fontsize=8.5)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(0, top * 1.12)
    ax.set_ylabel("memory per GPU (GiB)")
    if a.title:
        title = a.title
    else:
        models = sorted({d["model"] for d in runs})
        where = sorted({"%s x %d GPUs" % (d["cluster"], d["gpus"]) for d in runs})
        batches = sorted({d["layout"].get("global_batch") for d in runs}, key=str)
        title = "%s on %s: memory of the most loaded GPU" % (", ".join(models), ", ".join(where))
        if len(batches) == 1 and batches[0] is not None:
            title += "\nglobal batch %s sequences" % batches[0]
    ax.set_title(title, fontsize=11)
    ax.grid(True, axis="y", alpha=0.3)
    handles, names = ax.get_legend_handles_labels()
    # Legend top-down in stacking order, outside the bars on the right.
    ax.legend(handles[::-1], names[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=8.5, framealpha=0.9)
    return save_figure(fig, a.output, a.dpi, prog)


if __name__ == "__main__":
    sys.exit(main())
