// Model shapes used by several core tests, built in code (core tests do not read YAML).
#ifndef PLANNER_TESTS_CORE_MODEL_FIXTURES_H_
#define PLANNER_TESTS_CORE_MODEL_FIXTURES_H_

#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"

namespace planner::testing {

// Seed 002: GPT-2 XL shape with SwiGLU, untied embeddings, no biases, no position table,
// RMSNorm-style norms of d parameters each (2 per layer + final).
inline ModelSpec Seed002Model() {
  ModelSpec s;
  s.name = "seed002";
  s.n_layers = 48;
  s.d_model = 1600;
  s.n_heads = s.n_kv_heads = 25;
  s.head_dim = 64;
  s.d_ff = 6400;
  s.vocab_size = 50257;
  s.seq_len = 1024;
  s.position = Position::kNone;
  s.mlp = MlpKind::kSwiglu;
  s.norm = NormKind::kRmsNorm;
  s.tied_embeddings = false;
  return s;
}

// A GPT-3-style shape as the FLOP papers assume it: d_ff = 4h, MHA, learned positions.
inline ModelSpec GptShape(int64_t layers, int64_t hidden, int64_t heads, int64_t vocab,
                          int64_t seq) {
  ModelSpec s;
  s.name = "gpt";
  s.n_layers = layers;
  s.d_model = hidden;
  s.n_heads = s.n_kv_heads = heads;
  s.head_dim = hidden / heads;
  s.d_ff = 4 * hidden;
  s.vocab_size = vocab;
  s.seq_len = seq;
  s.max_position_embeddings = seq;
  s.position = Position::kLearned;
  s.biases = {true, true, true, false};
  return s;
}

// An H100-like cluster of `nodes` 8-GPU nodes: NVLink 450 GB/s inside a node, InfiniBand
// 50 GB/s per GPU between nodes (datasheet figures), bf16 peak 989 TFLOP/s, 80 GiB at 3,350 GB/s.
inline ClusterSpec H100Nodes(int64_t nodes) {
  ClusterSpec c;
  c.name = "test-h100";
  c.gpu.name = "H100-SXM5-80GB";
  c.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 989;
  c.gpu.hbm_GiB = 80;
  c.gpu.hbm_GBps = 3350;
  c.gpus_per_node = 8;
  c.nodes = nodes;
  c.network = {{"nvlink", 8, 450, 3}, {"infiniband", 0, 50, 5}};
  c.price_per_gpu_hour_usd = 1;
  return c;
}

// A small dense model for search and sizing tests: cheap to search exhaustively.
inline ModelSpec TinyModel() {
  ModelSpec s;
  s.name = "tiny";
  s.n_layers = 4;
  s.d_model = 512;
  s.n_heads = s.n_kv_heads = 4;
  s.head_dim = 128;
  s.d_ff = 2048;
  s.vocab_size = 1000;
  s.seq_len = 256;
  s.position = Position::kRope;
  s.tied_embeddings = false;
  return s;
}

}  // namespace planner::testing

#endif  // PLANNER_TESTS_CORE_MODEL_FIXTURES_H_
