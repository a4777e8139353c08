#!/usr/bin/env python3
"""Checks a commbench or matbench JSON file against the schema in comm/README.md.

usage: check_json.py FILE [--expect-rows-per-collective N] [--max-rel-err-ok]
Exits 1 with a message on the first violation.
"""
import json
import sys

NUM = (int, float)


def need(obj, key, types, where):
    if key not in obj:
        sys.exit(f"{where}: missing '{key}'")
    if types is not None and not isinstance(obj[key], types):
        sys.exit(f"{where}: '{key}' is {type(obj[key]).__name__}")
    return obj[key]


def check_measurement(m, where):
    for key in ("time_us", "algbw_GBps", "busbw_GBps"):
        if need(m, key, NUM, where) < 0:
            sys.exit(f"{where}: negative {key}")
    wrong = need(m, "wrong", None, where)
    if wrong is not None and (not isinstance(wrong, int) or wrong != 0):
        sys.exit(f"{where}: wrong = {wrong}")


def check_commbench(doc):
    need(doc, "schema_version", int, "top")
    for key in ("backend", "level", "start_time", "end_time"):
        need(doc, key, str, "top")
    for key in ("nranks", "nodes", "ranks_per_node", "wrong_total"):
        need(doc, key, int, "top")
    need(doc, "machine", dict, "top")
    need(doc["machine"], "cpu_cores", int, "machine")
    config = need(doc, "config", dict, "top")
    for key in ("min_bytes", "max_bytes", "iters", "warmup_iters", "check", "blocking", "root"):
        need(config, key, int, "config")
    rows = need(doc, "rows", list, "top")
    if not rows:
        sys.exit("no rows")
    for i, row in enumerate(rows):
        where = f"rows[{i}]"
        for key in ("collective", "type", "redop"):
            need(row, key, str, where)
        for key in ("size_bytes", "count", "root"):
            need(row, key, int, where)
        need(row, "bus_factor", NUM, where)
        check_measurement(need(row, "out_of_place", dict, where), where + ".out_of_place")
        check_measurement(need(row, "in_place", dict, where), where + ".in_place")
    for s in need(doc, "summary", list, "top"):
        need(s, "collective", str, "summary")
        need(s, "avg_busbw_GBps", NUM, "summary")
    if doc["wrong_total"] != 0:
        sys.exit(f"wrong_total = {doc['wrong_total']}")


def check_matbench(doc):
    need(doc, "schema_version", int, "top")
    for key in ("engine", "comm_backend", "dtype", "start_time"):
        need(doc, key, str, "top")
    need(doc, "nranks", int, "top")
    mlp = need(doc, "sharded_mlp", (dict, type(None)), "top")
    if mlp is not None:
        for key in ("tokens", "d_model", "d_ff", "tp", "allreduce_bytes"):
            need(mlp, key, int, "sharded_mlp")
        for key in ("gemm1_us", "gemm2_us", "allreduce_us", "total_us", "flops_per_rank",
                    "tflops_per_rank", "error_bound"):
            need(mlp, key, NUM, "sharded_mlp")
        err = need(mlp, "max_rel_err", (int, float, type(None)), "sharded_mlp")
        if err is not None and err > mlp["error_bound"]:
            sys.exit(f"max_rel_err {err} > error_bound {mlp['error_bound']}")
    for i, row in enumerate(need(doc, "gemm_sweep", list, "top")):
        for key in ("m", "n", "k"):
            need(row, key, int, f"gemm_sweep[{i}]")
        for key in ("flops", "time_us", "tflops"):
            need(row, key, NUM, f"gemm_sweep[{i}]")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    schema = need(doc, "schema", str, "top")
    {"commbench": check_commbench, "matbench": check_matbench}.get(
        schema, lambda d: sys.exit(f"unknown schema {schema}"))(doc)
    print(f"{sys.argv[1]}: valid {schema} v{doc['schema_version']}")


if __name__ == "__main__":
    main()
