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

enum class ParamGroup { kEmbedding, kAttention, kMlp, kRouter, kNorm, kBias, kHead, kPooler };

struct ParamEntry {
  std::string name;       // e.g. "attention.q", "mlp.up", "token_embedding"
  ParamGroup group;
  Count per_layer = 0;    // 0 for entries outside the transformer layers
  Count total = 0;        // over all layers (or the single instance)
  // Vocabulary and position tables (Kaplan's N leaves these out).
  bool embedding = false;
};

struct ParamCount {
  std::vector<ParamEntry> entries;  // in model order; entries with total 0 omitted
  Count total = 0;
  Count embedding = 0;      // token, position and token-type tables, plus an untied LM head
  Count non_embedding = 0;  // total - embedding: Kaplan et al. 2020's N
  Count active = 0;         // parameters touched per token: MoE counts top_k of n_experts
  Count per_layer = 0;      // one transformer layer
  Count mlp_per_expert_per_layer = 0;
};

// Requires a validated spec.
ParamCount CountParams(const ModelSpec& spec);

const char* ToString(ParamGroup g);

}  // namespace planner

#endif  // PLANNER_CORE_PARAMS_H_
