// Frontier shapes built in code for the core tests (core tests do not read YAML): DeepSeek-V3 and
// a Gemma-2-style local/global model. Hyperparameters from the HF config.json files the presets
// cite (configs/models/deepseek-v3.yaml, gemma2-27b.yaml).
#ifndef PLANNER_TESTS_CORE_MOE_SHAPES_H_
#define PLANNER_TESTS_CORE_MOE_SHAPES_H_

#include "planner/core/model_spec.h"

namespace planner::testing {

inline ModelSpec DeepSeekV3Shape() {
  ModelSpec s;
  s.name = "deepseek-v3";
  s.n_layers = 61;
  s.d_model = 7168;
  s.n_heads = s.n_kv_heads = 128;
  s.head_dim = 128 + 64;
  s.d_ff = 18432;
  s.vocab_size = 129280;
  s.seq_len = 4096;
  s.position = Position::kRope;
  s.mlp = MlpKind::kSwiglu;
  s.norm = NormKind::kRmsNorm;
  s.tied_embeddings = false;
  s.mla = {1536, 512, 128, 64, 128};
  s.moe.n_experts = 256;
  s.moe.top_k = 8;
  s.moe.d_ff_expert = 2048;
  s.moe.n_shared_experts = 1;
  s.moe.first_dense_layers = 3;
  s.moe.router_bias = true;
  s.mtp_modules = 1;
  return s;
}

inline ModelSpec Gemma2Shape() {
  ModelSpec s;
  s.name = "gemma2-27b";
  s.n_layers = 46;
  s.d_model = 4608;
  s.n_heads = 32;
  s.n_kv_heads = 16;
  s.head_dim = 128;
  s.d_ff = 36864;
  s.vocab_size = 256000;
  s.seq_len = 8192;
  s.position = Position::kRope;
  s.mlp = MlpKind::kGeglu;
  s.norm = NormKind::kRmsNorm;
  s.norms_per_layer = 4;
  s.window = {4096, 1, WindowKind::kSliding};
  return s;
}

}  // namespace planner::testing

#endif  // PLANNER_TESTS_CORE_MOE_SHAPES_H_
