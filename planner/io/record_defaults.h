// What a published-run record (tests/data/runs.yaml's schema) may leave out and the runs reader
// infers from what it does state, each as a rule over the record's own text, never per source:
// the software stack from its framework, the primary metric from the measured keys present, the
// FLOP accounting from its formula text, a power limit from its GPU text. The project's own
// records state all four; a file written to the bare schema (no `training.stack`,
// `measured.primary` or `measured.accounting`) reads the same (validation_runs_test.cc).
#ifndef PLANNER_IO_RECORD_DEFAULTS_H_
#define PLANNER_IO_RECORD_DEFAULTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/core/cluster_spec.h"
#include "planner/core/flops.h"

namespace planner {

// The configs/stacks preset a framework text names ("NeMo 24.07 / Megatron-Core" ->
// megatron-core, "Composer + PyTorch FSDP" -> llm-foundry, "Megatron-LM (2022)" -> megatron-lm,
// a Megatron-LM of 2021 or before -> megatron-lm-sc21, of 2024 or later -> megatron-core; NeMo
// of 2022 or before, e.g. "NeMo Megatron 22.08", -> megatron-lm), looking at `source` for the
// year when the framework gives none (a year, else a YY.MM release); "" when nothing is recognised.
std::string StackForFramework(const std::string& framework, const std::string& source);

// The year a framework text dates itself to: a year it names ("Megatron-LM (2022)"), else a
// YY.MM release ("NeMo Megatron 22.08" -> 2022), else the first year in the source text; 0 when
// none.
int FrameworkYear(const std::string& framework, const std::string& source);

// Whether a torchtitan run with training.compile compiled its loss too: torchtitan's
// components/loss.py compiles the cross-entropy with the model since d1f62be (2025-02), so a
// record dated 2025 or later did (FrameworkYear).
bool TorchtitanCompilesLoss(const std::string& framework, const std::string& source);

// The measured key that is the run's time measurement, most direct first: iteration time,
// tokens/s, tokens/s per GPU, then TFLOP/s per GPU, MFU, percent of peak, HFU and aggregate
// PFLOP/s (which need a FLOP convention); "" when none is present. `present` holds the measured
// keys the record states.
std::string PrimaryMetricKey(const std::vector<std::string>& present);

// The FLOP accounting (runs_io's names: narayanan, korthikanti, megatron-core, palm, 6nd) the
// record's flops_formula text describes; 6nd when it names none.
std::string AccountingForFormula(const std::string& formula);

// Whether a record's attention text names a fused kernel: "SDPA FlashAttention v2", "flash
// (attn_impl: flash)", "SDPA (flash)", cuDNN fused attention; not "standard (... no
// FlashAttention)", "torch", "eager" or "math".
bool AttentionTextIsFused(const std::string& attention);

// The recompute a record's text states in its source's words: "full ...", "selective ...",
// "none ...", or another common phrasing: selective for "SAC"; none for no, not, without, false,
// off, disabled or 0 ("activations_checkpoint_num_layers 0 (no layer checkpointed)"); full for
// yes, true, on, enabled, "activation checkpointing", "gradient checkpointing", "uniform",
// --checkpoint-activations. nullopt for wording none of these name.
std::optional<Recompute> RecomputeInText(const std::string& text);

// The compute dtype a record's precision text states, in any case: fp8 for "FP8", "MXFP8",
// "float8" or "E4M3"; bf16 for "bf16" or "bfloat16" (which contains "float16"); fp16 for "fp16"
// or "float16"; bf16 for anything else ("mixed precision (16-bit)").
Dtype DtypeInText(const std::string& text);

// The MoE a record's notes state, in the form its records use: "moe: n_experts=256 top_k=8
// d_ff_expert=2048 shared_experts=1 dense_layers=3 dense_d_ff=18432" (any order, '=' or ':'; the
// last four may be left out: 0). nullopt without n_experts and top_k.
struct NotesMoe {
  int64_t n_experts = 0, top_k = 0, d_ff_expert = 0, shared_experts = 0, dense_layers = 0,
          dense_d_ff = 0;
};
std::optional<NotesMoe> MoeInNotes(const std::string& notes);

// "H100 96GB HBM2e (Grand Teton, 500W power limit)" -> 500.
std::optional<double> PowerLimitInGpuText(const std::string& gpu);

// The memory capacity a GPU text states, in GB: "H100 96GB HBM2e (...)" -> 96, "A100-SXM4-40GB"
// -> 40; nullopt where it states none ("GB200 (DGX-GB200, NVL72)" is a part, not a size).
std::optional<double> HbmGbInGpuText(const std::string& gpu);

// The scale-out bandwidth per GPU, decimal GB/s one direction, an interconnect text states:
// "400 Gb/s per GPU RDMA" -> 50; "1600 Gbps RoCE node-node" or "8x 200 Gb/s HDR" with 8 GPUs per
// node -> 25; "4x Omni-Path 100 Gbps per node" -> 6.25 (HDR, NDR and EDR InfiniBand count as
// 200, 400 and 100 Gb/s). Clauses (split at ';') that name NVLink, NVSwitch or "intra" are the
// scale-up domain and skipped. nullopt when no clause states a rate with its scope (per GPU, or
// per node / node-node / per host, server, instance or DGX, or a multiplier "Nx").
std::optional<double> ScaleOutGBpsPerGpu(const std::string& interconnect, int64_t gpus_per_node);

// The ZeRO shard group an FSDP text states: "dp_shard N", "shard group = N" or
// "sharding_group_size N" -> N; else HYBRID_SHARD or HSDP -> `node_group`, the ranks of a node
// (FSDP's hybrid sharding shards within a node and replicates across nodes); nullopt otherwise.
std::optional<int64_t> ShardGroupInFsdpText(const std::string& fsdp, int64_t node_group);

}  // namespace planner

#endif  // PLANNER_IO_RECORD_DEFAULTS_H_
