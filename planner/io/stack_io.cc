#include "planner/io/stack_io.h"

#include <utility>

#include "planner/io/input_error.h"
#include "planner/io/presets.h"

namespace planner {
namespace {

const std::vector<std::string> kTopKeys = {"name",
                                           "description",
                                           "kernels",
                                           "loss_kernels",
                                           "attention",
                                           "dropout",
                                           "fp8_scaling",
                                           "selective_recompute",
                                           "grad_reduce_bytes",
                                           "bf16_grad_reduce",
                                           "sharded_weight_bytes",
                                           "sharded_optimizer_bytes",
                                           "zero3_max_live_params",
                                           "zero3_collectives",
                                           "zero3_host_us_per_rank",
                                           "zero3_recompute_regathers",
                                           "zero3_list_copies",
                                           "overlap",
                                           "supports",
                                           "defaults",
                                           "a2a_sm_fraction",
                                           "a2a_fp8_dispatch",
                                           "a2a_node_dedup",
                                           "optimizer_moment_bytes",
                                           "grad_buffer_bytes",
                                           "recompute_norms",
                                           "recompute_up_projections",
                                           "recompute_mlp_activation",
                                           "recompute_moe",
                                           "mlp_cache_bytes",
                                           "attention_output_cache_bytes",
                                           "sp_gathered_input_saved",
                                           "sp_all_gather_fp8",
                                           "fp8_saves_gemm_inputs",
                                           "pp_last_stage_keeps_outputs",
                                           "pp_microbatch_buffers",
                                           "train_metric_losses"};
const std::vector<std::string> kOverlapKeys = {"tp_backward", "tp_forward", "dp", "param_gather",
                                               "pp", "cp", "zero3_prefetch", "a2a"};
const std::vector<std::string> kSupportKeys = {
    "max_zero",         "max_zero_with_pp",  "zero1",
    "pipeline",         "interleaved",       "uneven_chunks",
    "context_parallel", "expert_parallel",   "expert_tensor_parallel",
    "hybrid_shard",     "sequence_parallel", "sharded_grad_accum",
    "zero3_with_pp",    "cpu_offload"};
const std::vector<std::string> kDefaultKeys = {"zero", "sp", "micro_batch_is_local",
                                               "virtual_stages"};

int ZeroStage(const StrictMap& m, const std::string& key, int fallback) {
  const std::optional<int64_t> v = m.OptInt(key);
  if (!v) return fallback;
  if (*v < 0 || *v > 3) m.Fail(key, key + " must be a ZeRO stage 0-3");
  return static_cast<int>(*v);
}

double Bytes(const StrictMap& m, const std::string& key, double fallback) {
  return m.OptDouble(key).value_or(fallback);
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
  s->dropout = m.Bool("dropout", s->dropout);
  s->fp8_scaling = OptEnum<Fp8Scaling>(m, "fp8_scaling", kFp8ScalingNames, s->fp8_scaling);
  s->selective =
      OptEnum<SelectivePolicy>(m, "selective_recompute", kSelectivePolicyNames, s->selective);
  s->grad_reduce_bytes = Bytes(m, "grad_reduce_bytes", s->grad_reduce_bytes);
  s->bf16_grad_reduce =
      OptEnum<Bf16GradReduce>(m, "bf16_grad_reduce", kBf16GradReduceNames, s->bf16_grad_reduce);
  s->sharded_weight_bytes = Bytes(m, "sharded_weight_bytes", s->sharded_weight_bytes);
  s->sharded_optimizer_bytes = Bytes(m, "sharded_optimizer_bytes", s->sharded_optimizer_bytes);
  s->zero3_max_live_params =
      m.OptDouble("zero3_max_live_params").value_or(s->zero3_max_live_params);
  s->zero3_collectives = OptEnum<Zero3Collectives>(m, "zero3_collectives", kZero3CollectivesNames,
                                                   s->zero3_collectives);
  s->zero3_host_us_per_rank =
      m.OptDouble("zero3_host_us_per_rank").value_or(s->zero3_host_us_per_rank);
  s->zero3_recompute_regathers = m.Bool("zero3_recompute_regathers", s->zero3_recompute_regathers);
  s->zero3_list_copies = m.Bool("zero3_list_copies", s->zero3_list_copies);
  s->optimizer_moment_bytes = Bytes(m, "optimizer_moment_bytes", s->optimizer_moment_bytes);
  s->grad_buffer_bytes = Bytes(m, "grad_buffer_bytes", s->grad_buffer_bytes);
  s->recompute_norms = m.Bool("recompute_norms", s->recompute_norms);
  s->recompute_up_projections = m.Bool("recompute_up_projections", s->recompute_up_projections);
  s->recompute_mlp_activation = m.Bool("recompute_mlp_activation", s->recompute_mlp_activation);
  s->recompute_moe = m.Bool("recompute_moe", s->recompute_moe);
  s->mlp_cache_bytes = Bytes(m, "mlp_cache_bytes", s->mlp_cache_bytes);
  s->sp_gathered_input_saved = m.Bool("sp_gathered_input_saved", s->sp_gathered_input_saved);
  s->sp_all_gather_fp8 = m.Bool("sp_all_gather_fp8", s->sp_all_gather_fp8);
  s->fp8_saves_gemm_inputs = m.Bool("fp8_saves_gemm_inputs", s->fp8_saves_gemm_inputs);
  s->pp_last_stage_keeps_outputs =
      m.Bool("pp_last_stage_keeps_outputs", s->pp_last_stage_keeps_outputs);
  s->pp_microbatch_buffers = m.Bool("pp_microbatch_buffers", s->pp_microbatch_buffers);
  if (const std::optional<int64_t> n = m.OptInt("train_metric_losses")) {
    if (*n < 0 || *n > 4) m.Fail("train_metric_losses", "train_metric_losses must lie in [0, 4]");
    s->train_metric_losses = static_cast<int>(*n);
  }
  s->attention_output_cache_bytes =
      Bytes(m, "attention_output_cache_bytes", s->attention_output_cache_bytes);
  s->a2a_sm_fraction = m.OptDouble("a2a_sm_fraction").value_or(s->a2a_sm_fraction);
  s->a2a_fp8_dispatch = m.Bool("a2a_fp8_dispatch", s->a2a_fp8_dispatch);
  s->a2a_node_dedup = m.Bool("a2a_node_dedup", s->a2a_node_dedup);
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

std::string StackToYaml(const StackSpec& s) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << s.name;
  out << YAML::Key << "kernels" << YAML::Value << ToString(s.kernels);
  out << YAML::Key << "loss_kernels" << YAML::Value << ToString(s.loss_kernels);
  out << YAML::Key << "attention" << YAML::Value << ToString(s.attention);
  out << YAML::Key << "dropout" << YAML::Value << s.dropout;
  out << YAML::Key << "fp8_scaling" << YAML::Value << ToString(s.fp8_scaling);
  out << YAML::Key << "selective_recompute" << YAML::Value << ToString(s.selective);
  out << YAML::Key << "grad_reduce_bytes" << YAML::Value << s.grad_reduce_bytes;
  out << YAML::Key << "bf16_grad_reduce" << YAML::Value << ToString(s.bf16_grad_reduce);
  out << YAML::Key << "sharded_weight_bytes" << YAML::Value << s.sharded_weight_bytes;
  out << YAML::Key << "sharded_optimizer_bytes" << YAML::Value << s.sharded_optimizer_bytes;
  out << YAML::Key << "zero3_max_live_params" << YAML::Value << s.zero3_max_live_params;
  out << YAML::Key << "zero3_collectives" << YAML::Value << ToString(s.zero3_collectives);
  out << YAML::Key << "zero3_host_us_per_rank" << YAML::Value << s.zero3_host_us_per_rank;
  out << YAML::Key << "zero3_recompute_regathers" << YAML::Value << s.zero3_recompute_regathers;
  out << YAML::Key << "zero3_list_copies" << YAML::Value << s.zero3_list_copies;
  out << YAML::Key << "optimizer_moment_bytes" << YAML::Value << s.optimizer_moment_bytes;
  out << YAML::Key << "grad_buffer_bytes" << YAML::Value << s.grad_buffer_bytes;
  out << YAML::Key << "recompute_norms" << YAML::Value << s.recompute_norms;
  out << YAML::Key << "recompute_up_projections" << YAML::Value << s.recompute_up_projections;
  out << YAML::Key << "recompute_mlp_activation" << YAML::Value << s.recompute_mlp_activation;
  out << YAML::Key << "recompute_moe" << YAML::Value << s.recompute_moe;
  out << YAML::Key << "mlp_cache_bytes" << YAML::Value << s.mlp_cache_bytes;
  out << YAML::Key << "sp_gathered_input_saved" << YAML::Value << s.sp_gathered_input_saved;
  out << YAML::Key << "sp_all_gather_fp8" << YAML::Value << s.sp_all_gather_fp8;
  out << YAML::Key << "fp8_saves_gemm_inputs" << YAML::Value << s.fp8_saves_gemm_inputs;
  out << YAML::Key << "pp_last_stage_keeps_outputs" << YAML::Value << s.pp_last_stage_keeps_outputs;
  out << YAML::Key << "pp_microbatch_buffers" << YAML::Value << s.pp_microbatch_buffers;
  out << YAML::Key << "train_metric_losses" << YAML::Value << s.train_metric_losses;
  out << YAML::Key << "attention_output_cache_bytes" << YAML::Value
      << s.attention_output_cache_bytes;
  out << YAML::Key << "overlap" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "tp_backward" << YAML::Value << s.tp_overlap_backward;
  out << YAML::Key << "tp_forward" << YAML::Value << ToString(s.tp_overlap_forward);
  out << YAML::Key << "dp" << YAML::Value << ToString(s.dp_overlap);
  out << YAML::Key << "param_gather" << YAML::Value << s.param_gather_overlap;
  out << YAML::Key << "pp" << YAML::Value << s.pp_overlap;
  out << YAML::Key << "cp" << YAML::Value << s.cp_overlap;
  out << YAML::Key << "zero3_prefetch" << YAML::Value << s.zero3_prefetch;
  out << YAML::Key << "a2a" << YAML::Value << s.a2a_overlap << YAML::EndMap;
  out << YAML::Key << "a2a_sm_fraction" << YAML::Value << s.a2a_sm_fraction;
  out << YAML::Key << "a2a_fp8_dispatch" << YAML::Value << s.a2a_fp8_dispatch;
  out << YAML::Key << "a2a_node_dedup" << YAML::Value << s.a2a_node_dedup;
  out << YAML::Key << "supports" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "max_zero" << YAML::Value << s.max_zero;
  out << YAML::Key << "zero1" << YAML::Value << s.zero1;
  out << YAML::Key << "max_zero_with_pp" << YAML::Value << s.max_zero_with_pp;
  out << YAML::Key << "pipeline" << YAML::Value << s.pipeline;
  out << YAML::Key << "interleaved" << YAML::Value << s.interleaved;
  out << YAML::Key << "uneven_chunks" << YAML::Value << s.uneven_chunks;
  out << YAML::Key << "context_parallel" << YAML::Value << s.context_parallel;
  out << YAML::Key << "expert_parallel" << YAML::Value << s.expert_parallel;
  out << YAML::Key << "expert_tensor_parallel" << YAML::Value << s.expert_tensor_parallel;
  out << YAML::Key << "hybrid_shard" << YAML::Value << s.hybrid_shard;
  out << YAML::Key << "cpu_offload" << YAML::Value << s.cpu_offload;
  out << YAML::Key << "sequence_parallel" << YAML::Value << s.sequence_parallel;
  out << YAML::Key << "sharded_grad_accum" << YAML::Value << ToString(s.sharded_grad_accum);
  out << YAML::Key << "zero3_with_pp" << YAML::Value << ToString(s.zero3_with_pp)
      << YAML::EndMap;
  out << YAML::Key << "defaults" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "zero" << YAML::Value << s.default_zero;
  out << YAML::Key << "sp" << YAML::Value << s.default_sp;
  out << YAML::Key << "micro_batch_is_local" << YAML::Value << s.micro_batch_is_local;
  out << YAML::Key << "virtual_stages" << YAML::Value << s.default_virtual_stages << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace planner
