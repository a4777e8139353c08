#!/usr/bin/env python3
"""Writes tests/data/heldout/llmfoundry_rows.yaml: every row of MosaicML llm-foundry's benchmark
tables (scripts/train/benchmarking/README.md @8c8dd48, 216 rows in five tables) that
tests/data/runs.yaml does not hold, as run records of the same schema. Nothing is fitted on them:
`planner validate` prices them as records the project does not contain (docs/validation.md,
"Records the fit never saw").

Each record copies the hardware, stack and precision text of a project record from the same table
with the same mixed-precision mode (and, where there is one, the same checkpointing), and takes
everything else from its row: the MPT shape of its size (scripts/train/yamls/pretrain/mpt-*.yaml;
the row's NumParams must equal 12Ld^2 + 13Ld + Vd + sd + 2d, or the script stops), GPUs,
micro-batch, gradient accumulation, global batch, sharding strategy, activation checkpointing and
the measured throughput.

usage: scripts/heldout_llmfoundry.py LLM_FOUNDRY_BENCHMARKING_README.md
  (git -C llm-foundry show 8c8dd48:scripts/train/benchmarking/README.md > README.md)
"""
import copy
import os
import re
import sys

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
RUNS = os.path.join(ROOT, 'tests/data/runs.yaml')
OUT = os.path.join(ROOT, 'tests/data/heldout/llmfoundry_rows.yaml')
LOCATOR = 'github mosaicml/llm-foundry @8c8dd48 scripts/train/benchmarking/README.md (tables added in #838, 2024-01-06)'
# n_layers, d_model, n_heads of scripts/train/yamls/pretrain/mpt-<size>.yaml @8c8dd48; expansion
# ratio 4, vocabulary 50,368.
SHAPES = {'125m': (12, 768, 12), '350m': (24, 1024, 16), '760m': (24, 1536, 12),
          '1b': (24, 2048, 16), '3b': (32, 2560, 20), '7b': (32, 4096, 32),
          '13b': (40, 5120, 40), '30b': (48, 7168, 56), '70b': (80, 8192, 64)}
VOCAB = 50368
TABLES = [('H100 80GB BF16', 'h100_80gb'), ('H100 80GB FP8', 'h100_80gb_fp8'),
          ('A100 80GB', 'a100_80gb'), ('A100 40GB', 'a100_40gb')]


def table_key(title):
    for prefix, key in TABLES:
        if title.startswith(prefix):
            return key
    sys.exit('unknown table: ' + title)


def template(ours, key, mode, checkpointing):
    """A project record of the same table and mixed-precision mode, the same checkpointing first."""
    candidates = [r for rid, r in ours.items()
                  if rid.startswith('llmfoundry_' + key + '_')
                  and (key != 'h100_80gb' or not rid.startswith('llmfoundry_h100_80gb_fp8'))
                  and ('PURE' in r['training']['precision']) == (mode == 'PURE')]
    if not candidates:
        sys.exit(f'no project record to copy for table {key}, mode {mode}')
    same = [r for r in candidates if r['training']['recompute'].startswith('full') == checkpointing]
    return (same or candidates)[0]


def rows(readme):
    title = None
    for line in open(readme):
        if line.startswith('## '):
            title = line[3:].strip()
        elif re.match(r'\|\s+\d', line):
            yield title, [c.strip() for c in line.strip().strip('|').split('|')]


def record(ours, title, cells):
    (model, seq, gpus, _, mfu, hfu, tflop, mb, ga, gbs, _, tps, tpsg, _, _, mode, shard,
     checkpointing, offload, nparams) = cells
    key = table_key(title)
    seq, gpus, mb, ga, gbs, nparams = map(int, (seq, gpus, mb, ga, gbs, nparams))
    layers, d, heads = SHAPES[model]
    if 12 * layers * d * d + 13 * layers * d + VOCAB * d + seq * d + 2 * d != nparams:
        sys.exit(f'{model} at {seq}: NumParams {nparams} is not the MPT shape\'s')
    full = checkpointing == 'True'
    r = copy.deepcopy(template(ours, key, mode, full))
    r['id'] = f'llmfoundry_{key}_{model}_seq{seq}_{gpus}gpu'
    r['source'] = f"MosaicML llm-foundry scripts/train/benchmarking/README.md, table '{title}'"
    r['source_locator'] = [LOCATOR, f'model shape: scripts/train/yamls/pretrain/mpt-{model}.yaml',
                           'MFU/HFU code: scripts/train/benchmarking/collect_results.py']
    r['verification'] = ('Row copied from the README table by scripts/heldout_llmfoundry.py; NumParams '
                         'reproduced exactly from the yaml (12Ld^2 + 13Ld + V*d + s*d + 2d).')
    r['model'].update(n_layers=layers, d_model=d, n_heads=heads, n_kv_heads=heads, d_ff=4 * d,
                      vocab=VOCAB, seq_len=seq, total_params=nparams)
    r['hardware']['num_gpus'] = gpus
    r['parallelism'].update(dp=gpus, fsdp=shard, zero_stage=3 if shard == 'FULL_SHARD' else 2)
    r['batch'] = {'micro_batch_size': mb, 'global_batch_size': gbs, 'grad_accum_steps': ga,
                  'global_batch_tokens': gbs * seq}
    r['training']['recompute'] = 'full (FSDP activation_checkpointing per block)' if full else 'none'
    r['training']['activation_cpu_offload'] = offload == 'True'
    r['measured'] = {'kind': 'benchmark_iterations (~30 batches per config)',
                     'primary': 'tokens_per_sec', 'accounting': 'palm',
                     'mfu_pct': float(mfu), 'hfu_pct': float(hfu),
                     'model_tflops_per_gpu': float(tflop), 'tokens_per_sec': int(tps),
                     'tokens_per_sec_per_gpu': int(tpsg)}
    for k in ('derived', 'inferred', 'notes'):
        r.pop(k, None)
    r['inferred'] = {'parallelism.zero_stage': 'FULL_SHARD = ZeRO-3 equivalent, SHARD_GRAD_OP = ZeRO-2 equivalent'}
    return r


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ours = {r['id']: r for r in yaml.safe_load(open(RUNS)) if r['id'].startswith('llmfoundry_')}
    records = [record(ours, title, cells) for title, cells in rows(sys.argv[1])]
    # A100 80GB lists 125m at 2,048 tokens on 8 GPUs twice (micro-batch 40 and 32).
    count = {}
    for r in records:
        count[r['id']] = count.get(r['id'], 0) + 1
    for r in records:
        if count[r['id']] > 1:
            r['id'] += f"_mb{r['batch']['micro_batch_size']}"
    out = [r for r in records if r['id'] not in ours]
    total = len(records)
    with open(OUT, 'w') as f:
        f.write('# Generated by scripts/heldout_llmfoundry.py from llm-foundry @8c8dd48: the '
                f'{len(out)} of the {total} benchmark rows\n# that tests/data/runs.yaml does not hold. '
                'Never fitted on: docs/validation.md, "Records the fit never saw".\n')
        yaml.safe_dump(out, f, sort_keys=False, width=120)
    print(f'{len(out)} of {total} rows written to {os.path.relpath(OUT, ROOT)}')


if __name__ == '__main__':
    main()
