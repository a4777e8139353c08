// Per-matmul FLOP accounting (2*m*k*n per [m,k]x[k,n] product) and the published conventions
// (6ND, Megatron, Korthikanti, Megatron-Core, PaLM) side by side. Element-wise work (softmax,
// norms, activations) is not counted, as in every published convention.
#ifndef PLANNER_CORE_FLOPS_H_
#define PLANNER_CORE_FLOPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "planner/core/count.h"
#include "planner/core/enum_names.h"
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
  // Windowed layers (ModelSpec::window) attend to at most window.size keys: causal sliding,
  // min(i+1, w) keys for query i; chunked, the keys of its own chunk up to i. Not causal: every
  // query sees min(T, w) keys (sliding) or its whole chunk.
  bool causal = false;
  Recompute recompute = Recompute::kNone;
};

struct MatmulFlops {
  std::string name;         // e.g. "attention.scores"
  std::string shape;        // the product per sequence, e.g. "[1024,1600]x[1600,1600]"
  int64_t count = 1;        // products of that shape per layer and sequence (heads, top_k)
  Count per_layer = 0;      // forward FLOPs in one layer that has it, whole batch; 0 outside layers
  Count total = 0;          // forward FLOPs over all layers and the whole batch
  bool attention_core = false;  // QK^T and AV: the terms quadratic in T (or in the window)
  int64_t layers = 0;       // layers that have it (dense vs MoE, local vs global); 0 outside layers
  bool mtp = false;         // a multi-token-prediction module's: outside forward (see mtp_forward)
};

struct FlopsReport {
  std::vector<MatmulFlops> matmuls;  // forward pass, in model order
  Count tokens = 0;
  Count layers_forward = 0;     // the transformer layers' share of forward
  Count forward_per_layer = 0;  // layers_forward / n_layers (exact when every layer is alike)
  Count forward = 0;            // the main model; MTP modules apart
  Count mtp_forward = 0;        // the MTP modules' forward (their layer, projection and head)
  Count backward = 0;       // 2x forward: input and weight gradients
  Count recompute = 0;      // forward work repeated for activation recomputation
  Count model_step = 0;     // forward + backward: the numerator of MFU
  Count hardware_step = 0;  // model_step + recompute: the numerator of HFU
  Count attention_core_forward = 0;
  double attention_share = 0;  // attention_core_forward / forward
  Count six_nd = 0;            // 6 * total parameters * tokens
  double exact_over_6nd = 0;   // model_step / six_nd
  // 6 * active parameters * tokens: the MoE form of 6ND (the embedding lookup counted as the
  // parameter count counts it; a dense model's equals six_nd).
  Count six_nd_active = 0;
  double exact_over_6nd_active = 0;
};

FlopsReport ComputeFlops(const ModelSpec& spec, const FlopsOptions& opt);

struct AccountingResult {
  Accounting accounting;
  double step_flops = 0;        // one training step of opt.batch sequences
  bool counts_recompute = false;  // HFU-like (true) or MFU-like (false)
};

// The convention as its source states it; see tests/data/VALIDATION_README.md for the formulas.
AccountingResult AccountFlops(const ModelSpec& spec, const FlopsOptions& opt, Accounting a);

inline constexpr EnumName<Recompute> kRecomputeNames[] = {
    {Recompute::kNone, "none"}, {Recompute::kSelective, "selective"}, {Recompute::kFull, "full"}};
inline constexpr EnumName<Accounting> kAccountingNames[] = {
    {Accounting::kExact, "exact"},
    {Accounting::kSixND, "6nd"},
    {Accounting::kMegatron, "megatron"},
    {Accounting::kKorthikanti, "korthikanti"},
    {Accounting::kMegatronCore, "megatron-core"},
    {Accounting::kPalm, "palm"}};
inline const char* ToString(Recompute r) { return NameIn(kRecomputeNames, r); }
inline const char* ToString(Accounting a) { return NameIn(kAccountingNames, a); }
// Source and formula of a convention, one line, for reports.
const char* Describe(Accounting a);

}  // namespace planner

#endif  // PLANNER_CORE_FLOPS_H_
