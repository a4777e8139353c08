// Exact parameter counting with a per-component breakdown. The convention is that of
// tests/data/models.yaml: the number of unique trainable parameters of the standard Hugging Face
// class, tied input/output embeddings counted once, buffers (rotary inv_freq, masks) excluded.
#ifndef PLANNER_CORE_PARAMS_H_
#define PLANNER_CORE_PARAMS_H_

#include <string>
#include <vector>

#include "planner/core/count.h"
#include "planner/core/model_spec.h"

namespace planner {

// kMixer: a hybrid model's Mamba-2 mixers (their projections, conv1d and per-head terms).
enum class ParamGroup {
  kEmbedding,
  kAttention,
  kMlp,
  kRouter,
  kNorm,
  kBias,
  kHead,
  kPooler,
  kMixer
};

struct ParamEntry {
  std::string name;       // e.g. "attention.q", "mlp.up", "token_embedding"
  ParamGroup group;
  Count per_layer = 0;    // in each layer that has it; 0 for entries outside the layers
  Count total = 0;        // over all layers (or the single instance)
  // Vocabulary and position tables (Kaplan's N leaves these out).
  bool embedding = false;
  int64_t layers = 0;     // how many layers have it (dense MLPs, MoE parts); 0 outside the layers
};

struct ParamCount {
  std::vector<ParamEntry> entries;  // in model order; entries with total 0 omitted
  Count total = 0;
  Count embedding = 0;      // token, position and token-type tables, plus an untied LM head
  Count non_embedding = 0;  // total - embedding: Kaplan et al. 2020's N
  Count active = 0;         // parameters touched per token: MoE counts top_k of n_experts
  // active less the input embedding table when it is a separate (untied) lookup: the convention
  // of DeepSeek's "activated parameters" (the others, e.g. Qwen3 and Llama 4, count both tables).
  Count active_without_input_embedding = 0;
  Count layers = 0;         // all transformer layers together
  Count per_layer = 0;      // layers / n_layers (exact when every layer is alike)
  Count routed_experts = 0;  // the routed experts of every MoE layer (what EP shards)
  Count mlp_per_expert_per_layer = 0;  // one routed expert
  // Multi-token-prediction modules, outside total (see ModelSpec::mtp_modules).
  std::vector<ParamEntry> mtp_entries;
  Count mtp = 0;
  Count mtp_routed_experts = 0;  // mtp's routed experts (what EP shards)
  Count mtp_active = 0;     // per token, the shared head included, the shared embedding not
};

// Requires a validated spec.
ParamCount CountParams(const ModelSpec& spec);

// Parameter tensors of one layer as Megatron lays them out (fused QKV, fused gated up
// projection, weight and bias apart): the calls a stack that gathers per tensor makes for it.
// Counted for a dense layer; MLA's extra projections and MoE experts are not told apart.
int64_t ParamTensorsPerLayer(const ModelSpec& spec);

const char* ToString(ParamGroup g);

}  // namespace planner

#endif  // PLANNER_CORE_PARAMS_H_
