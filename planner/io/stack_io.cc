#include "planner/io/stack_io.h"

#include <utility>

#include "planner/io/input_error.h"
#include "planner/io/presets.h"

namespace planner {
namespace {

// The stack file's top-level true/false fields and plain numbers (byte widths, fractions), each
// read over the value already there; kTopKeys lists them with the fields read by hand below.
constexpr std::pair<const char*, bool StackSpec::*> kTopBools[] = {
    {"dropout", &StackSpec::dropout},
    {"zero3_recompute_regathers", &StackSpec::zero3_recompute_regathers},
    {"zero3_list_copies", &StackSpec::zero3_list_copies},
    {"recompute_norms", &StackSpec::recompute_norms},
    {"recompute_up_projections", &StackSpec::recompute_up_projections},
    {"recompute_mlp_activation", &StackSpec::recompute_mlp_activation},
    {"recompute_moe", &StackSpec::recompute_moe},
    {"sp_gathered_input_saved", &StackSpec::sp_gathered_input_saved},
    {"sp_all_gather_fp8", &StackSpec::sp_all_gather_fp8},
    {"fp8_saves_gemm_inputs", &StackSpec::fp8_saves_gemm_inputs},
    {"pp_last_stage_keeps_outputs", &StackSpec::pp_last_stage_keeps_outputs},
    {"pp_microbatch_buffers", &StackSpec::pp_microbatch_buffers},
    {"a2a_fp8_dispatch", &StackSpec::a2a_fp8_dispatch},
    {"a2a_node_dedup", &StackSpec::a2a_node_dedup},
};
constexpr std::pair<const char*, double StackSpec::*> kTopNumbers[] = {
    {"grad_reduce_bytes", &StackSpec::grad_reduce_bytes},
    {"sharded_weight_bytes", &StackSpec::sharded_weight_bytes},
    {"sharded_optimizer_bytes", &StackSpec::sharded_optimizer_bytes},
    {"zero3_max_live_params", &StackSpec::zero3_max_live_params},
    {"zero3_host_us_per_rank", &StackSpec::zero3_host_us_per_rank},
    {"optimizer_moment_bytes", &StackSpec::optimizer_moment_bytes},
    {"grad_buffer_bytes", &StackSpec::grad_buffer_bytes},
    {"mlp_cache_bytes", &StackSpec::mlp_cache_bytes},
    {"attention_output_cache_bytes", &StackSpec::attention_output_cache_bytes},
    {"a2a_sm_fraction", &StackSpec::a2a_sm_fraction},
};

const std::vector<std::string> kTopKeys = [] {
  std::vector<std::string> keys = {"name",
                                   "description",
                                   "kernels",
                                   "loss_kernels",
                                   "attention",
                                   "fp8_scaling",
                                   "selective_recompute",
                                   "bf16_grad_reduce",
                                   "optimizer",
                                   "zero3_collectives",
                                   "cp_comm",
                                   "overlap",
                                   "supports",
                                   "defaults",
                                   "train_metric_losses"};
  for (const auto& [key, member] : kTopBools) keys.push_back(key);
  for (const auto& [key, member] : kTopNumbers) keys.push_back(key);
  return keys;
}();
const std::vector<std::string> kOverlapKeys = {"tp_backward", "tp_forward", "dp", "param_gather",
                                               "pp", "cp", "zero3_prefetch", "a2a"};
const std::vector<std::string> kSupportKeys = {"max_zero",
                                               "max_zero_with_pp",
                                               "zero1",
                                               "pipeline",
                                               "interleaved",
                                               "uneven_chunks",
                                               "context_parallel",
                                               "expert_parallel",
                                               "expert_tensor_parallel",
                                               "hybrid_shard",
                                               "sequence_parallel",
                                               "selective_recompute",
                                               "sharded_grad_accum",
                                               "zero3_with_pp",
                                               "cpu_offload",
                                               "fp8",
                                               "fp4"};
const std::vector<std::string> kDefaultKeys = {"zero", "sp", "micro_batch_is_local",
                                               "virtual_stages"};

int ZeroStage(const StrictMap& m, const std::string& key, int fallback) {
  const std::optional<int64_t> v = m.OptInt(key);
  if (!v) return fallback;
  if (*v < 0 || *v > 3) m.Fail(key, key + " must be a ZeRO stage 0-3");
  return static_cast<int>(*v);
}

template <class E, std::size_t N>
E OptEnum(const StrictMap& m, const std::string& key, const EnumName<E> (&names)[N], E fallback) {
  return m.Has(key) ? m.Enum<E>(key, names) : fallback;
}

void ReadOverlap(const StrictMap& m, StackSpec* s) {
  if (!m.Has("overlap")) return;
  const StrictMap o = m.Map("overlap", kOverlapKeys);
  s->tp_overlap_backward = o.Bool("tp_backward", s->tp_overlap_backward);
  s->tp_overlap_forward =
      OptEnum<TpForwardOverlap>(o, "tp_forward", kTpForwardOverlapNames, s->tp_overlap_forward);
  s->dp_overlap = OptEnum<DpOverlap>(o, "dp", kDpOverlapNames, s->dp_overlap);
  s->param_gather_overlap = o.Bool("param_gather", s->param_gather_overlap);
  s->pp_overlap = o.Bool("pp", s->pp_overlap);
  s->cp_overlap = o.Bool("cp", s->cp_overlap);
  s->zero3_prefetch = o.Bool("zero3_prefetch", s->zero3_prefetch);
  s->a2a_overlap = o.Bool("a2a", s->a2a_overlap);
}

void ReadSupports(const StrictMap& m, StackSpec* s) {
  if (!m.Has("supports")) return;
  const StrictMap u = m.Map("supports", kSupportKeys);
  s->max_zero = ZeroStage(u, "max_zero", s->max_zero);
  s->max_zero_with_pp = ZeroStage(u, "max_zero_with_pp", s->max_zero);
  s->zero1 = u.Bool("zero1", s->zero1);
  s->pipeline = u.Bool("pipeline", s->pipeline);
  s->interleaved = u.Bool("interleaved", s->interleaved);
  s->uneven_chunks = u.Bool("uneven_chunks", s->uneven_chunks);
  s->context_parallel = u.Bool("context_parallel", s->context_parallel);
  s->expert_parallel = u.Bool("expert_parallel", s->expert_parallel);
  s->expert_tensor_parallel = u.Bool("expert_tensor_parallel", s->expert_tensor_parallel);
  s->hybrid_shard = u.Bool("hybrid_shard", s->hybrid_shard);
  s->cpu_offload = u.Bool("cpu_offload", s->cpu_offload);
  s->sequence_parallel = u.Bool("sequence_parallel", s->sequence_parallel);
  s->selective_recompute = u.Bool("selective_recompute", s->selective_recompute);
  s->fp8 = u.Bool("fp8", s->fp8);
  s->fp4 = u.Bool("fp4", s->fp4);
  s->sharded_grad_accum = OptEnum<ShardedGradAccum>(u, "sharded_grad_accum", kShardedGradAccumNames,
                                                    s->sharded_grad_accum);
  s->zero3_with_pp = OptEnum<Zero3WithPp>(u, "zero3_with_pp", kZero3WithPpNames, s->zero3_with_pp);
}

void ReadDefaults(const StrictMap& m, StackSpec* s) {
  if (!m.Has("defaults")) return;
  const StrictMap d = m.Map("defaults", kDefaultKeys);
  s->default_zero = ZeroStage(d, "zero", s->default_zero);
  s->default_sp = d.Bool("sp", s->default_sp);
  s->micro_batch_is_local = d.Bool("micro_batch_is_local", s->micro_batch_is_local);
  const std::optional<int64_t> v = d.OptInt("virtual_stages");
  if (v && (*v < 0 || *v > 16)) {
    d.Fail("virtual_stages", "defaults.virtual_stages must be 0 (none) or 2-16");
  }
  if (v) s->default_virtual_stages = static_cast<int>(*v);
}

// Reads the keys present in `m` over the values already in `s` (a full file, or overrides).
void ReadInto(const StrictMap& m, StackSpec* s) {
  s->name = m.OptString("name").value_or(s->name);
  s->description = m.OptString("description").value_or(s->description);
  s->kernels = OptEnum<Kernels>(m, "kernels", kKernelsNames, s->kernels);
  s->loss_kernels = OptEnum<Kernels>(m, "loss_kernels", kKernelsNames, s->loss_kernels);
  s->attention = OptEnum<AttentionKernel>(m, "attention", kAttentionKernelNames, s->attention);
  s->fp8_scaling = OptEnum<Fp8Scaling>(m, "fp8_scaling", kFp8ScalingNames, s->fp8_scaling);
  s->selective =
      OptEnum<SelectivePolicy>(m, "selective_recompute", kSelectivePolicyNames, s->selective);
  s->bf16_grad_reduce =
      OptEnum<Bf16GradReduce>(m, "bf16_grad_reduce", kBf16GradReduceNames, s->bf16_grad_reduce);
  s->cp_comm = OptEnum<CpComm>(m, "cp_comm", kCpCommNames, s->cp_comm);
  s->zero3_collectives = OptEnum<Zero3Collectives>(m, "zero3_collectives", kZero3CollectivesNames,
                                                   s->zero3_collectives);
  s->optimizer = OptEnum<Optimizer>(m, "optimizer", kOptimizerNames, s->optimizer);
  for (const auto& [key, member] : kTopBools) s->*member = m.Bool(key, s->*member);
  for (const auto& [key, member] : kTopNumbers) {
    s->*member = m.OptDouble(key).value_or(s->*member);
  }
  if (const std::optional<int64_t> n = m.OptInt("train_metric_losses")) {
    if (*n < 0 || *n > 4) m.Fail("train_metric_losses", "train_metric_losses must lie in [0, 4]");
    s->train_metric_losses = static_cast<int>(*n);
  }
  ReadOverlap(m, s);
  ReadSupports(m, s);
  ReadDefaults(m, s);
}

void Check(const StrictMap& m, const StackSpec& s) {
  if (auto e = Validate(s)) {
    const std::string key = e->key.substr(0, e->key.find('.'));
    m.Fail(m.Has(key) ? key : "name", e->message);
  }
}

}  // namespace

StackSpec ReadStackSpec(const YamlDoc& doc) {
  const StrictMap m(doc.file, doc.root, kTopKeys, "stack spec");
  StackSpec s;
  s.name = m.String("name");
  ReadInto(m, &s);
  Check(m, s);
  return s;
}

StackSpec LoadStack(const std::string& arg) { return ReadStackSpec(LoadSpecDoc("stacks", arg)); }

void ApplyStackOverrides(const std::vector<std::string>& overrides, const std::string& what,
                         StackSpec* s) {
  for (const std::string& o : overrides) {
    const size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw InputError(what, "expected KEY=VALUE (e.g. overlap.dp=none), got '" + o + "'");
    }
    // "overlap.dp=none" becomes the YAML "overlap: {dp: none}" and is read like the file.
    std::string key = o.substr(0, eq), yaml = o.substr(eq + 1);
    for (size_t dot; (dot = key.rfind('.')) != std::string::npos; key = key.substr(0, dot)) {
      yaml = "{" + key.substr(dot + 1) + ": " + yaml + "}";
    }
    yaml = "{" + key + ": " + yaml + "}";
    const YamlDoc doc = ParseYaml(what + " " + o, yaml);
    const StrictMap m(doc.file, doc.root, kTopKeys, "stack override");
    ReadInto(m, s);
    Check(m, *s);
  }
}

}  // namespace planner
