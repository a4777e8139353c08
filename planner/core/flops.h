// Per-matmul FLOP accounting (2*m*k*n per [m,k]x[k,n] product) and the published conventions
// (6ND, Megatron, Korthikanti, Megatron-Core, PaLM) side by side. Element-wise work (softmax,
// norms, activations) is not counted, as in every published convention.
#ifndef PLANNER_CORE_FLOPS_H_
#define PLANNER_CORE_FLOPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "planner/core/count.h"
#include "planner/core/model_spec.h"

namespace planner {

// Activation recomputation (Korthikanti et al. 2022): selective recomputes the attention core
// (QK^T, softmax, AV) in the backward pass; full recomputes the forward of every layer.
enum class Recompute { kNone, kSelective, kFull };

enum class Accounting { kExact, kSixND, kMegatron, kKorthikanti, kMegatronCore, kPalm };

struct FlopsOptions {
  int64_t seq_len = 0;  // T
  int64_t batch = 1;    // sequences
  // Causal: query i attends to keys 0..i, so QK^T and AV cost H*hd*T*(T+1) instead of 2*H*hd*T^2.
  bool causal = false;
  Recompute recompute = Recompute::kNone;
};

struct MatmulFlops {
  std::string name;         // e.g. "attention.scores"
  std::string shape;        // the product per sequence, e.g. "[1024,1600]x[1600,1600]"
  int64_t count = 1;        // products of that shape per layer and sequence (heads, top_k)
  Count per_layer = 0;      // forward FLOPs in one layer for the whole batch; 0 outside layers
  Count total = 0;          // forward FLOPs over all layers and the whole batch
  bool attention_core = false;  // QK^T and AV: the terms quadratic in T
};

struct FlopsReport {
  std::vector<MatmulFlops> matmuls;  // forward pass, in model order
  Count tokens = 0;
  Count forward_per_layer = 0;
  Count forward = 0;
  Count backward = 0;       // 2x forward: input and weight gradients
  Count recompute = 0;      // forward work repeated for activation recomputation
  Count model_step = 0;     // forward + backward: the numerator of MFU
  Count hardware_step = 0;  // model_step + recompute: the numerator of HFU
  Count attention_core_forward = 0;
  double attention_share = 0;  // attention_core_forward / forward
  Count six_nd = 0;            // 6 * total parameters * tokens
  double exact_over_6nd = 0;   // model_step / six_nd
};

FlopsReport ComputeFlops(const ModelSpec& spec, const FlopsOptions& opt);

struct AccountingResult {
  Accounting accounting;
  double step_flops = 0;        // one training step of opt.batch sequences
  bool counts_recompute = false;  // HFU-like (true) or MFU-like (false)
};

// The convention as its source states it; see tests/data/VALIDATION_README.md for the formulas.
AccountingResult AccountFlops(const ModelSpec& spec, const FlopsOptions& opt, Accounting a);

const char* ToString(Recompute r);
const char* ToString(Accounting a);
// Source and formula of a convention, one line, for reports.
const char* Describe(Accounting a);

}  // namespace planner

#endif  // PLANNER_CORE_FLOPS_H_
