#!/usr/bin/env python3
"""Renders a `planner simulate --trace` file (Chrome trace-event JSON) as a timeline picture.

One row per track (stage and stream, as Perfetto shows them), slices coloured by task category.
The top panel is the whole step; the bottom one zooms into [--zoom-start, --zoom-end] seconds.

  planner simulate dgx-a100-80gb gpt3-175b --gpus 64 --tp 8 --pp 8 --vpp 3 \\
      --global-batch 64 --sp --recompute selective --trace trace.json
  python3 scripts/plot_trace.py trace.json docs/trace.png --zoom-end 1.5

Needs matplotlib (Debian: python3-matplotlib).
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from plot_common import write_atomically  # noqa: E402

COLOURS = {
    "forward": "#4c78a8",
    "backward_input": "#f58518",
    "backward_weight": "#e45756",
    "recompute": "#72b7b2",
    "tp_comm": "#54a24b",
    "cp_comm": "#eeca3b",
    "ep_comm": "#b279a2",
    "pp_p2p": "#9d755d",
    "dp_comm": "#bab0ac",
    "param_allgather": "#ff9da6",
    "optimizer": "#000000",
    "other": "#cccccc",
}


def load(path):
    with open(path) as f:
        trace = json.load(f)
    processes, threads, slices = {}, {}, {}
    for e in trace["traceEvents"]:
        key = (e["pid"], e["tid"])
        if e["ph"] == "M":
            if e["name"] == "process_name":
                processes[e["pid"]] = e["args"]["name"]
            elif e["name"] == "thread_name":
                threads[key] = e["args"]["name"]
        elif e["ph"] == "X":
            slices.setdefault(key, []).append(
                (e["ts"] / 1e6, e["dur"] / 1e6, e["args"].get("category", "other")))
    tracks = sorted(slices, key=lambda k: (k[0], k[1]))
    labels = ["%s %s" % (processes.get(p, p), threads.get((p, t), t)) for p, t in tracks]
    return trace, tracks, labels, slices


def draw(ax, tracks, labels, slices, start, end):
    for row, key in enumerate(tracks):
        by_colour = {}
        for ts, dur, cat in slices[key]:
            if ts + dur < start or ts > end:
                continue
            by_colour.setdefault(COLOURS.get(cat, "#cccccc"), []).append((ts, max(dur, 0)))
        for colour, spans in by_colour.items():
            ax.broken_barh(spans, (row - 0.4, 0.8), facecolors=colour, edgecolor="none")
    ax.set_yticks(range(len(tracks)))
    ax.set_yticklabels(labels, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlim(start, end)
    ax.set_xlabel("time (s)")
    ax.grid(axis="x", linewidth=0.3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("png")
    ap.add_argument("--zoom-start", type=float, default=0.0)
    ap.add_argument("--zoom-end", type=float, default=1.5)
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    trace, tracks, labels, slices = load(a.trace)
    makespan = trace.get("otherData", {}).get("makespan_s", 0)
    height = max(4.0, 0.16 * len(tracks))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(14, 2 * height + 1.5))
    draw(top, tracks, labels, slices, 0, makespan)
    top.set_title(a.title or "simulated step: %.3f s" % makespan, fontsize=10)
    draw(bottom, tracks, labels, slices, a.zoom_start, a.zoom_end)
    bottom.set_title("zoom: %.2f-%.2f s (one slice per layer and stream)" %
                     (a.zoom_start, a.zoom_end), fontsize=9)
    used = sorted({cat for spans in slices.values() for _, _, cat in spans})
    handles = [Patch(color=COLOURS.get(c, "#cccccc"), label=c) for c in used]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    image_format = os.path.splitext(a.png)[1].lstrip(".").lower() or "png"
    write_atomically(a.png, lambda f: fig.savefig(f, dpi=110, format=image_format))


if __name__ == "__main__":
    main()
