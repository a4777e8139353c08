#!/usr/bin/env python3
"""Writes tests/data/heldout/dgxc_rows.yaml: the Llama 3.1 8B and 70B and GPT-3 175B rows of NVIDIA's
DGX Cloud Benchmarking recipes (NVIDIA/dgxc-benchmarking, v25.02.01 at 0b71cfd, 2025-05-21:
llama3.1/README_8b.md, README_70b.md and nemo_megatron/README_175b.md, "Expected Performance"),
BF16 and FP8 on 8 to 2,048 H100s, as run records the fit never uses (docs/validation.md, "Records
the fit never saw").

The step times are the README tables'; the layouts are their headers' (TP, PP, CP, VP, MBS, GA)
and the recipe configs of that commit (llama3.1/llama3.1_{8b,70b}.yaml: no activation
recomputation, sequence parallelism for 70B, distributed_fused_adam with overlapped gradient and
parameter sync, TP communication overlap for 70B; configure.sh sets model.fp8, fp8_hybrid and
fp8_params for FP8; launch.sh runs the NeMo 24.12 container). GPT-3 175B takes its layout from
nemo_megatron/gpt3_175b_hydra.yaml (TP 4, PP 8, virtual stages 6, sequence parallelism, TP
overlap, no recompute; configure.sh sets GBS = 16 x nodes and no virtual-stage override), where
its README's table header says VP=12. The model shapes are the project's NeMo 24.07 records'
(Llama 3 8B and 70B, the Llama 3.1 shapes; GPT-3 175B). The README's 405B table is left out: its
32- and 96-GPU columns cannot hold its own TP 8 x PP 9 x CP 2 layout.

usage: scripts/heldout_dgxc.py
"""
import copy
import os

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
RUNS = os.path.join(ROOT, 'tests/data/runs.yaml')
OUT = os.path.join(ROOT, 'tests/data/heldout/dgxc_rows.yaml')
COMMIT = '0b71cfd'
# id stem: (template record, tp, pp, cp, vpp, sp, GBS per GPU, {dtype: {GPUs: step s}}, README,
# config, table title, model family)
TABLES = {
    'llama3.1-8b': ('nemo2407_fp8_h100_LLAMA3-8B_8gpu', 1, 1, 2, None, False, 16,
           {'bf16': {8: 12.78, 16: 12.99, 32: 13.00, 64: 13.00, 128: 13.16},
            'fp8': {8: 9.44, 16: 9.47, 32: 9.60, 64: 9.64, 128: 9.73}},
           'llama3.1/README_8b.md', 'llama3.1/llama3.1_8b.yaml', 'Llama 3.1 8b', 'Llama 3.1'),
    'llama3.1-70b': ('nemo2407_fp8_h100_LLAMA3-70B_64gpu', 4, 4, 2, 5, True, 2,
            {'bf16': {64: 14.61, 128: 14.70, 256: 14.72, 512: 14.80, 1024: 14.86, 2048: 14.84},
             'fp8': {64: 10.46, 128: 10.52, 256: 10.75, 512: 10.76, 1024: 10.83, 2048: 10.99}},
            'llama3.1/README_70b.md', 'llama3.1/llama3.1_70b.yaml', 'Llama 3.1 70b', 'Llama 3.1'),
    'gpt3-175b': ('nemo2407_fp8_h100_GPT3-175B_128gpu', 4, 8, 1, 6, True, 2,
                  {'bf16': {128: 8.309, 256: 8.408, 512: 8.42, 1024: 8.453, 2048: 8.49},
                   'fp8': {128: 5.626, 256: 5.725, 512: 5.774, 1024: 5.82, 2048: 5.96}},
                  'nemo_megatron/README_175b.md', 'nemo_megatron/gpt3_175b_hydra.yaml',
                  'NeMo Megatron', 'GPT-3 (NeMo GPTConfig175B)'),
}
FP8 = ('FP8 hybrid (E4M3/E5M2), Transformer Engine delayed scaling, fp8 parameters (configure.sh: '
       'model.fp8, fp8_hybrid, +model.fp8_params)')


def record(template, stem, dtype, gpus, step, spec):
    _, tp, pp, cp, vpp, sp, per_gpu, _, readme, config, title, family = spec
    seq = template['model']['seq_len']
    gb = per_gpu * gpus
    dp = gpus // (tp * pp * cp)
    r = {'id': f'dgxc2505_h100_{stem}_{gpus}gpu_{dtype}',
         'source': (f"NVIDIA DGX Cloud Benchmarking (NVIDIA/dgxc-benchmarking) v25.02.01 {readme}, "
                    f"'Expected Performance', table '{title} {dtype.upper()}', {gpus}x H100"),
         'source_locator': [f'github NVIDIA/dgxc-benchmarking commit {COMMIT} (2025-05-21, v25.02.01) {readme}',
                            f'the recipe config of that commit: {config} (mcore_gpt); launch.sh and setup.sh: '
                            'FW_VERSION=24.12, the NeMo 24.12 container'],
         'verification': (f"Read from the README table; {seq} x GBS / step time reproduces the table's "
                          'tokens/s row.'),
         'model': dict(copy.deepcopy(template['model']), family=family),
         'hardware': {'gpu': 'H100-SXM5-80GB (DGX Cloud)', 'num_gpus': gpus, 'peak_tflops_per_gpu': 989.0,
                      'peak_basis': 'bf16 dense 989 (FP8 dense peak 1979, the README)', 'gpus_per_node': 8},
         'parallelism': {'tp': tp, 'pp': pp, 'dp': dp, 'cp': cp, 'sp': sp, 'ep': 1,
                         'virtual_pipeline_stages': vpp, 'zero_stage': 1, 'fsdp': None},
         'batch': {'micro_batch_size': 1, 'global_batch_size': gb, 'grad_accum_steps': gb // dp,
                   'global_batch_tokens': gb * seq},
         'training': {'recompute': 'none (activations_checkpoint_granularity null)',
                      'precision': 'bf16' if dtype == 'bf16' else FP8,
                      'framework': 'NeMo 24.12 container (mcore_gpt: Megatron-Core, Transformer Engine)',
                      'stack': 'megatron-core'},
         'measured': {'kind': 'vendor_benchmark (last training step timing of a 100-step run)',
                      'primary': 'iteration_time_s', 'accounting': 'megatron-core', 'iteration_time_s': step},
         'flops_formula': ('README Notes: model flops = s x (12 L h^2 (1 + g/a + s/h) + 18 L f h + 6 V h) '
                           'per sequence (Megatron-Core, non-causal attention)'),
         'inferred': {'parallelism.dp': "GPUs / (TP x PP x CP); GBS = MBS x DP x GA (the table's GA)",
                      'parallelism.zero_stage': 'optim distributed_fused_adam: optimizer states sharded over DP (ZeRO-1)'},
         'notes': 'Weak scaling (GBS proportional to GPUs).'}
    return r


def main():
    ours = {r['id']: r for r in yaml.safe_load(open(RUNS))}
    out = []
    for stem, spec in TABLES.items():
        for dtype, steps in spec[7].items():
            for gpus, step in steps.items():
                out.append(record(ours[spec[0]], stem, dtype, gpus, step, spec))
    with open(OUT, 'w') as f:
        f.write('# Generated by scripts/heldout_dgxc.py from NVIDIA/dgxc-benchmarking v25.02.01 (0b71cfd): '
                f'{len(out)} H100 rows.\n# Never fitted on: docs/validation.md, "Records the fit never saw".\n')
        yaml.safe_dump(out, f, sort_keys=False, width=120)
    print(f'{len(out)} rows written to {os.path.relpath(OUT, ROOT)}')


if __name__ == '__main__':
    main()
