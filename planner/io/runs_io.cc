#include "planner/io/runs_io.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "planner/core/limits.h"
#include "planner/core/memory.h"
#include "planner/core/pipeline_stages.h"
#include "planner/core/search.h"
#include "planner/core/units.h"
#include "planner/io/cluster_io.h"
#include "planner/io/format.h"
#include "planner/io/gpu_presets.h"
#include "planner/io/input_error.h"
#include "planner/io/model_io.h"
#include "planner/io/presets.h"
#include "planner/io/read_file.h"
#include "planner/io/record_defaults.h"
#include "planner/io/runs_fields.h"
#include "planner/io/stack_io.h"
#include "planner/io/yaml_strict.h"

namespace planner {
namespace {

using runs::Contains;
using runs::ReadHardware;
using runs::StartsWith;
using runs::Stated;
using runs::StatedBool;
using runs::StatedDouble;
using runs::StatedInt;
using runs::StatedString;

// The start of the skip reason of a record whose stack cannot run its layout.
const std::string kStackRefuses = "the record's stack cannot run its layout: ";

const std::vector<std::string> kRecordKeys = {
    "id",    "source",   "source_locator", "verification",  "model",   "hardware", "parallelism",
    "batch", "training", "measured",       "flops_formula", "derived", "inferred", "notes"};
const std::vector<std::string> kRunModelKeys = {
    "family",       "n_layers",   "d_model", "n_heads",    "n_kv_heads",         "d_ff",
    "vocab",        "vocab_note", "seq_len", "activation", "position_embedding", "tied_embeddings",
    "total_params", "preset"};
const std::vector<std::string> kParallelKeys = {"tp",
                                                "pp",
                                                "dp",
                                                "cp",
                                                "sp",
                                                "ep",
                                                "etp",
                                                "virtual_pipeline_stages",
                                                "first_stage_layers",
                                                "last_stage_layers",
                                                "uneven_chunks",
                                                "zero_stage",
                                                "dp_shard",
                                                "ddp_impl",
                                                "fsdp",
                                                "pipeline_schedule",
                                                "async_tp"};
const std::vector<std::string> kBatchKeys = {"micro_batch_size", "global_batch_size",
                                             "grad_accum_steps", "global_batch_tokens",
                                             "local_batch_size"};
const std::vector<std::string> kTrainingKeys = {
    "recompute", "precision",     "framework",     "activation_cpu_offload",
    "attention", "torch_compile", "compiled_loss", "stack"};
const std::vector<std::string> kMeasuredKeys = {"kind",
                                                "primary",
                                                "accounting",
                                                "tflops_per_gpu",
                                                "pct_of_peak",
                                                "aggregate_pflops",
                                                "metric_note",
                                                "iteration_time_s",
                                                "mfu_pct",
                                                "hfu_pct",
                                                "model_tflops_per_gpu",
                                                "tokens_per_sec",
                                                "tokens_per_sec_per_gpu",
                                                "memory_gib_per_gpu",
                                                "memory_metric"};

// The file is a YAML list of records, not a mapping, so yaml_strict's LoadYamlFile does not apply.
YAML::Node LoadSequence(const std::string& path) {
  const YAML::Node root =
      ParseOneDocument(path, ReadInputFile(path, "YAML"), ": a runs file is one list of records");
  if (!root.IsSequence() || root.size() == 0) {
    throw InputError(path,
                     "expected a non-empty YAML list of run records (as tests/data/runs.yaml)");
  }
  return root;
}

// GPT (Megatron, MPT): learned positions, tied, GeLU, LayerNorm, biases on every linear but the
// head. Llama: RoPE, SwiGLU, RMSNorm, untied, no biases. The record's own fields override.
// Every number is checked before any arithmetic on it.
ModelSpec ReadModel(const StrictMap& r, ValidationRun* v) {
  const StrictMap m = r.Map("model", kRunModelKeys);
  if (m.Has("preset")) {
    // model.preset names a model preset for what the keys below cannot spell out (experts, MLA):
    // the preset is the architecture, a stated seq_len the run's. An MoE model is priced but
    // kept out of the efficiency fit, which fits dense terms (ValidationRun::moe).
    const std::string name = m.String("preset");
    if (!FindPreset("models", name)) {
      m.Fail("preset", "no model preset '" + name + "'; `planner presets` lists them");
    }
    ModelSpec s = LoadModel(name);
    s.name = r.String("id");
    v->family = StatedString(m, "family");
    if (auto seq = StatedInt(m, "seq_len")) s.seq_len = *seq;
    if (auto e = Validate(s)) m.Fail("seq_len", e->message);
    v->total_params = StatedInt(m, "total_params");
    v->moe = s.is_moe();
    return s;
  }
  ModelSpec s;
  v->family = StatedString(m, "family");
  const bool llama = Contains(v->family, "Llama") || Contains(v->family, "LLAMA");
  s.name = r.String("id");
  s.n_layers = m.Int("n_layers");
  s.d_model = m.Int("d_model");
  s.n_heads = m.Int("n_heads");
  s.n_kv_heads = StatedInt(m, "n_kv_heads").value_or(s.n_heads);
  if (s.n_heads <= 0) m.Fail("n_heads", "n_heads must be positive");
  if (s.d_model <= 0) m.Fail("d_model", "d_model must be positive");
  if (s.d_model % s.n_heads != 0) m.Fail("n_heads", "n_heads must divide d_model");
  s.head_dim = s.d_model / s.n_heads;
  s.vocab_size = m.Int("vocab");
  s.seq_len = m.Int("seq_len");
  const std::string act = StatedString(m, "activation");
  s.mlp = (act.empty() ? llama : Contains(act, "SwiGLU")) ? MlpKind::kSwiglu : MlpKind::kGelu;
  if (Stated(m, "d_ff")) {
    s.d_ff = m.Int("d_ff");
  } else if (s.mlp == MlpKind::kGelu) {
    s.d_ff = 4 * s.d_model;  // GPT's 4h; a gated MLP's width follows no one rule
    v->assumptions.push_back("d_ff not stated: 4 x d_model (GeLU MLP)");
  } else {
    m.FailNotStated("d_ff",
                    "d_ff is not stated and a gated (SwiGLU) MLP's width follows no one rule: "
                    "state it");
  }
  const std::string pos = StatedString(m, "position_embedding");
  const bool rope = pos.empty() ? llama : StartsWith(pos, "RoPE");
  s.position = rope ? Position::kRope : Position::kLearned;
  s.max_position_embeddings = rope ? 0 : s.seq_len;
  s.norm = llama ? NormKind::kRmsNorm : NormKind::kLayerNorm;
  s.tied_embeddings = StatedBool(m, "tied_embeddings").value_or(!llama);
  if (!llama) s.biases = {true, true, true, false};
  v->total_params = StatedInt(m, "total_params");
  if (auto e = Validate(s)) m.Fail(e->key == "vocab_size" ? "vocab" : e->key, e->message);
  return s;
}

std::optional<Recompute> ReadRecompute(const StrictMap& t) {
  const std::string rc = StatedString(t, "recompute");
  if (rc.empty()) return std::nullopt;
  if (StartsWith(rc, "full")) return Recompute::kFull;
  if (StartsWith(rc, "selective")) return Recompute::kSelective;
  if (StartsWith(rc, "none")) return Recompute::kNone;
  t.Fail("recompute", "recompute must start with full, selective or none, got '" + rc + "'");
}

Dtype ReadDtype(const StrictMap& t, ValidationRun* v) {
  const std::string precision = StatedString(t, "precision");
  if (precision.empty()) v->assumptions.push_back("precision not stated: bf16");
  if (Contains(precision, "FP8") || Contains(precision, "fp8") || Contains(precision, "Float8")) {
    return Dtype::kFp8;
  }
  return Contains(precision, "fp16") ? Dtype::kFp16 : Dtype::kBf16;
}

// The record's software stack (configs/stacks) and what the record itself states about the run
// beyond it, as `--stack-set` overrides so that `planner explain` can say the same.
// A record without `training.stack`: the preset its framework names (record_defaults.h), else
// explain's default stack; either way said under Notes.
std::string InferStack(const StrictMap& r, const StrictMap& t, ValidationRun* v) {
  const std::string framework = StatedString(t, "framework");
  const std::string stack = StackForFramework(framework, r.String("source"));
  const std::string from =
      framework.empty() ? "no framework stated" : "framework '" + framework + "'";
  if (stack.empty()) {
    v->assumptions.push_back("stack not stated, " + from + " not recognised: " + kDefaultStack +
                             " (explain's default)");
    return kDefaultStack;
  }
  v->assumptions.push_back("stack not stated: " + stack + " (" + from + ")");
  return stack;
}

// The stack preset `name` with what the record states beyond it as overrides.
void ReadStack(const StrictMap& r, const std::string& name, ValidationRun* v) {
  const StrictMap t = r.Map("training", kTrainingKeys);
  const StrictMap par = r.Map("parallelism", kParallelKeys);
  v->stack_name = name;
  v->stack_overrides.clear();
  try {
    v->stack = LoadStack(v->stack_name);
  } catch (const InputError& e) {
    t.Fail("stack", e.what());
  }
  if (StatedString(par, "ddp_impl") == "local") v->stack_overrides.push_back("overlap.dp=none");
  if (StatedBool(par, "async_tp").value_or(false)) {
    v->stack_overrides.push_back("overlap.tp_forward=true");
  }
  // Megatron-Core shards weights too only through Megatron-FSDP (--use-megatron-fsdp), which
  // its presets leave off: a record that names it turns it on.
  if (Contains(StatedString(par, "fsdp"), "Megatron-FSDP")) {
    v->stack_overrides.push_back("supports.max_zero=3");
  }
  // torchao's rowwise fp8 recipe all-gathers the TP input in bf16 (torchtitan.yaml).
  if (Contains(StatedString(t, "precision"), "rowwise") && v->stack.sp_all_gather_fp8) {
    v->stack_overrides.push_back("sp_all_gather_fp8=false");
  }
  if (StatedBool(t, "torch_compile").value_or(false)) {
    v->stack_overrides.push_back("kernels=compiled");
  }
  if (StatedBool(t, "compiled_loss").value_or(false)) {
    v->stack_overrides.push_back("loss_kernels=compiled");
  }
  const std::string attention = StatedString(t, "attention");
  if (!attention.empty() && !AttentionTextIsFused(attention)) {
    v->stack_overrides.push_back("attention=unfused");
  }
  ApplyStackOverrides(v->stack_overrides, v->stack_name, &v->stack);
}

// The global batch in sequences: as stated, or from the tokens per batch the record states,
// rounded to a whole number of sequences per data-parallel replica (OPT's "2M tokens" of
// 2048-token sequences over 124 replicas: 8 each, 992).
std::optional<int64_t> GlobalBatch(const StrictMap& b, int64_t dp, ValidationRun* v) {
  if (const std::optional<int64_t> global = StatedInt(b, "global_batch_size")) return global;
  const std::optional<double> tokens = StatedDouble(b, "global_batch_tokens");
  if (!tokens) return std::nullopt;
  if (!(*tokens >= 1 && *tokens < 1e15)) {
    b.Fail("global_batch_tokens", "global_batch_tokens must lie in [1, 1e15)");
  }
  const double sequences = *tokens / static_cast<double>(v->run.model.seq_len);
  const int64_t per_replica = std::max<int64_t>(1, std::llround(sequences / dp));
  v->assumptions.push_back("global batch not stated: " + std::to_string(per_replica * dp) +
                           " sequences (" + GroupedRound(*tokens) + " tokens, a whole number per" +
                           " data-parallel replica)");
  return per_replica * dp;
}

// What the record leaves unstated of recompute and interleaving, as a tuned run (search.h).
bool TuneUnstatedChoices(Unstated u, ValidationRun* v) {
  if (!u.recompute && !u.vpp) return true;
  ParallelConfig& p = v->run.layout;
  const std::optional<ParallelConfig> tuned = TuneUnstated(
      v->run.model, v->run.cluster, p, v->stack, StackOptions(v->stack, v->run.cluster), u);
  if (!tuned) {
    v->skip_reason = "virtual stages of the interleaved schedule not stated, and the " +
                     v->stack.name + " stack runs no vpp > 1 for this layout";
    return false;
  }
  p = *tuned;
  if (u.recompute) {
    v->assumptions.push_back(std::string("recompute not stated: ") + ToString(p.recompute) +
                             " (selective only where none does not fit)");
  }
  if (u.vpp) {
    v->assumptions.push_back("virtual stages not stated: " + std::to_string(p.vpp) +
                             ", the fastest the " + v->stack.name + " stack runs here");
  }
  return true;
}

// The parallel degrees, stage split, ZeRO stage and HSDP group the record states.
void ReadDegrees(const StrictMap& par, ValidationRun* v) {
  ParallelConfig& p = v->run.layout;
  auto degree = [&](const char* key, std::optional<int64_t> value) {
    if (value && (*value < 1 || *value > kMaxGpus)) {
      par.Fail(key, std::string(key) + " must lie in [1, 2^22]");
    }
    return value.value_or(1);
  };
  p.tp = degree("tp", par.Int("tp"));
  p.pp = degree("pp", par.Int("pp"));
  p.cp = degree("cp", StatedInt(par, "cp"));
  p.ep = degree("ep", StatedInt(par, "ep"));
  // Expert tensor parallelism (Megatron-Core); absent: the same as tp.
  if (StatedInt(par, "etp")) p.etp = degree("etp", par.Int("etp"));
  p.vpp = degree("virtual_pipeline_stages", StatedInt(par, "virtual_pipeline_stages"));
  // Uneven pipeline stages (pipeline_stages.h); absent: an even split.
  for (auto [key, field] : {std::pair{"first_stage_layers", &p.first_stage_layers},
                            std::pair{"last_stage_layers", &p.last_stage_layers}}) {
    if (auto n = StatedInt(par, key)) {
      if (*n < 1 || *n > kMaxGpus) {
        par.Fail(key, std::string(key) + " must lie in [1, 2^22]");
      }
      *field = *n;
    }
  }
  // Sequence parallelism unstated: the stack's default, as explain takes it without --sp.
  if (const std::optional<bool> sp = StatedBool(par, "sp")) {
    p.sp = *sp;
  } else {
    p.sp = v->stack.default_sp && v->stack.sequence_parallel && p.tp > 1;
    if (p.tp > 1) {
      v->assumptions.push_back(std::string("sp not stated: ") + (p.sp ? "on" : "off") + " (the " +
                               v->stack.name + " stack's default)");
    }
  }
  p.uneven_chunks = StatedBool(par, "uneven_chunks").value_or(false);
  p.dp = StatedInt(par, "dp") ? degree("dp", par.Int("dp")) : 0;
  if (auto z = StatedInt(par, "zero_stage")) {
    if (*z < 0 || *z > 3) par.Fail("zero_stage", "zero_stage must be 0-3");
    p.zero = static_cast<int>(*z);
  } else {
    p.zero = v->stack.default_zero;
    v->assumptions.push_back("zero_stage not stated: the " + v->stack.name +
                             " stack's default, ZeRO-" + std::to_string(p.zero));
  }
  // Hybrid sharding (HSDP): ZeRO shards over dp_shard ranks; absent: over all of dp.
  if (StatedInt(par, "dp_shard")) p.dp_shard = degree("dp_shard", par.Int("dp_shard"));
}

// The pipeline schedule. An interleaved schedule's bubble and memory depend on its virtual stage
// count: priced as plain 1F1B the record would be off by the schedule, not by the model.
// Unstated, it is the stack's default where the run used that stack (not one priced on the
// nearest preset); else this returns true: the fastest the stack runs, chosen once the layout is
// complete.
bool ReadSchedule(const StrictMap& par, const StrictMap& t, ValidationRun* v) {
  ParallelConfig& p = v->run.layout;
  const std::string schedule = StatedString(par, "pipeline_schedule");
  if (Contains(schedule, "DualPipe")) p.schedule = Schedule::kDualPipe;
  if (!(Contains(schedule, "Interleaved") || Contains(schedule, "interleaved")) || p.vpp != 1 ||
      StatedInt(par, "virtual_pipeline_stages")) {
    return false;
  }
  const bool ran_the_stack = StackForFramework(StatedString(t, "framework"), "") == v->stack_name;
  if (v->stack.default_virtual_stages == 0 || !ran_the_stack) return true;
  p.vpp = v->stack.default_virtual_stages;
  v->assumptions.push_back("virtual stages not stated: " + std::to_string(p.vpp) + " (the " +
                           v->stack.name + " stack's default)");
  return false;
}

// dp (the GPUs left by tp, pp and cp when unstated), the global batch and the micro-batch.
void ReadBatch(const StrictMap& par, const StrictMap& b, ValidationRun* v) {
  ParallelConfig& p = v->run.layout;
  std::optional<int64_t> micro = StatedInt(b, "micro_batch_size");
  // Without pipelining the local batch is the micro-batch (FSDP runs without accumulation); a
  // pipeline splits it into micro-batches the record must state.
  if (!micro && Stated(b, "local_batch_size") && p.pp == 1) {
    micro = b.Int("local_batch_size");
    v->assumptions.push_back("micro-batch = local batch " + std::to_string(*micro) +
                             " (no gradient accumulation)");
  }
  if (micro && *micro < 1) b.Fail("micro_batch_size", "micro_batch_size must be positive");
  const int64_t model_parallel = p.tp * p.pp * p.cp;
  if (p.dp == 0) {
    if (v->run.cluster.total_gpus() % model_parallel != 0) {
      par.Fail("tp", "tp*pp*cp does not divide the record's num_gpus");
    }
    p.dp = v->run.cluster.total_gpus() / model_parallel;
  }
  std::optional<int64_t> global = GlobalBatch(b, p.dp, v);
  if (global && (*global < 1 || *global > kMaxGlobalBatch)) {
    b.Fail("global_batch_size", "global_batch_size must lie in [1, 2^30]");
  }
  if (!global) {
    // What `explain` takes when --global-batch is not given (parallel_config.h), at the stated
    // micro-batch or else the stack's (which, with the local batch unknown, is one sequence).
    p.micro_batch = micro.value_or(1);
    global = DefaultGlobalBatch(p);
    v->assumptions.push_back("global batch not stated: " + std::to_string(*global) +
                             (p.pp > 1
                                  ? " sequences, " + std::to_string(kDefaultMicroBatchesPerStage) +
                                        " micro-batches per pipeline stage"
                                  : " sequences, one micro-batch per data-parallel replica"));
  }
  p.global_batch = *global;
  if (micro) {
    p.micro_batch = *micro;
  } else {
    // What `explain` takes when --micro-batch is not given, so both price the record alike.
    p.micro_batch = DefaultMicroBatch(v->stack, p);
    v->assumptions.push_back("micro-batch not stated: " + std::to_string(p.micro_batch) + " (the " +
                             v->stack.name + " stack's default)");
  }
}

// The stage split where unstated, then the checks explain makes; false (with v->skip_reason)
// when the layout cannot be priced or the stack cannot run it.
bool CheckRecordLayout(ValidationRun* v) {
  ParallelConfig& p = v->run.layout;
  // pp does not divide the layers and the record does not say how they split: the split
  // Megatron-Core users pick (pipeline_stages.h), as `plan` and `explain` would.
  if (const std::string split = ApplyDefaultStageSplit(v->run.model.n_layers, &p); !split.empty()) {
    v->assumptions.push_back("stage split not stated: " + split);
  }
  std::optional<LayoutError> e = CheckLayout(v->run.model, v->run.cluster, p);
  if (e && e->field == LayoutField::kUnevenChunks && v->stack.uneven_chunks) {
    // The stated vpp does not divide the stages, chunks of unequal size would: a stack that
    // takes a pipeline layout runs it that way, as the record's layout requires.
    p.uneven_chunks = true;
    v->assumptions.push_back("vpp=" + std::to_string(p.vpp) +
                             " does not divide the stages: chunks of unequal size (the " +
                             v->stack.name + " stack's pipeline layout)");
    e = CheckLayout(v->run.model, v->run.cluster, p);
  }
  if (e) {
    // The record's parallelism keys are ParallelConfig's names (first_stage_layers, ...).
    v->skip_reason = "layout cannot be priced: " +
                     WithExample(*e, [](LayoutField f) { return std::string(FieldName(f)); });
    return false;
  }
  if (auto why = StackRefuses(v->stack, p)) {
    // explain refuses it too: the record names a stack that cannot run its layout.
    v->skip_reason = kStackRefuses + *why;
    return false;
  }
  return true;
}

// The layout; returns false (with v->skip_reason) when the record does not state it.
bool ReadLayout(const StrictMap& r, ValidationRun* v) {
  const StrictMap par = r.Map("parallelism", kParallelKeys);
  const StrictMap b = r.Map("batch", kBatchKeys);
  const StrictMap t = r.Map("training", kTrainingKeys);
  ReadDegrees(par, v);
  const bool choose_vpp = ReadSchedule(par, t, v);
  const std::optional<Recompute> recompute = ReadRecompute(t);
  v->run.layout.recompute = recompute.value_or(Recompute::kNone);
  v->run.layout.dtype = ReadDtype(t, v);
  ReadBatch(par, b, v);
  if (!CheckRecordLayout(v)) return false;
  return TuneUnstatedChoices(Unstated{!recompute, choose_vpp}, v);
}

// A record whose stack was inferred from its framework text and cannot run the stated layout:
// the stated layout wins, on the first of explain's default stack and torchtitan (which runs
// FSDP with TP, PP and CP) that runs it; `refused` when neither does.
ValidationRun WithAnotherStack(const StrictMap& r, const ValidationRun& before_layout,
                               const ValidationRun& refused) {
  for (const char* other : {kDefaultStack, "torchtitan"}) {
    if (other == refused.stack_name) continue;
    ValidationRun retry = before_layout;
    ReadStack(r, other, &retry);
    if (!ReadLayout(r, &retry)) continue;
    retry.assumptions.push_back(
        "the " + refused.stack_name +
        " stack (from the framework text) cannot run the stated layout: " + other);
    return retry;
  }
  return refused;
}

// The MoE records state their experts only in notes: the runs model block has no MoE keys, so
// they cannot be priced as the dense model their other keys describe.
bool IsMoeRecord(const StrictMap& r) {
  return r.Has("notes") && r.Value("notes").IsScalar() &&
         Contains(r.Value("notes").Scalar(), "moe: n_experts");
}

const std::vector<std::pair<std::string, RunMetric>> kPrimaries = {
    {"tflops_per_gpu", RunMetric::kTflopsPerGpu},
    {"model_tflops_per_gpu", RunMetric::kTflopsPerGpu},
    {"iteration_time_s", RunMetric::kIterationTime},
    {"tokens_per_sec", RunMetric::kTokensPerS},
    {"tokens_per_sec_per_gpu", RunMetric::kTokensPerSPerGpu},
    {"mfu_pct", RunMetric::kMfuPct},
    {"pct_of_peak", RunMetric::kPctOfPeak},
    {"hfu_pct", RunMetric::kHfuPct},
    {"aggregate_pflops", RunMetric::kAggregatePflops}};

const std::vector<std::pair<std::string, Accounting>> kAccountings = {
    {"narayanan", Accounting::kMegatron},
    {"korthikanti", Accounting::kKorthikanti},
    {"megatron-core", Accounting::kMegatronCore},
    {"palm", Accounting::kPalm},
    {"6nd", Accounting::kSixND}};

// measured.primary, or without it the most direct measurement the record states.
void ReadPrimary(const StrictMap& m, ValidationRun* v) {
  if (m.Has("primary")) {
    v->metric = m.Enum<RunMetric>("primary", kPrimaries);
    v->metric_key = m.String("primary");
    return;
  }
  std::vector<std::string> present;
  for (const auto& [key, metric] : kPrimaries) {
    if (Stated(m, key)) present.push_back(key);
  }
  v->metric_key = PrimaryMetricKey(present);
  if (v->metric_key.empty()) {
    m.FailNotStated(
        "primary",
        "the record states no measured time or throughput (iteration_time_s, tokens_per_sec, "
        "tokens_per_sec_per_gpu, tflops_per_gpu, model_tflops_per_gpu, mfu_pct, pct_of_peak, "
        "hfu_pct or aggregate_pflops)");
  }
  for (const auto& [key, metric] : kPrimaries) {
    if (key == v->metric_key) v->metric = metric;
  }
}

// The measured quantity the record names as primary, and the step time it implies in the
// source's accounting.
void ReadMeasured(const StrictMap& r, ValidationRun* v) {
  const StrictMap m = r.Map("measured", kMeasuredKeys);
  v->measured_memory_GiB = StatedDouble(m, "memory_gib_per_gpu");
  if (v->measured_memory_GiB && !(*v->measured_memory_GiB > 0 && *v->measured_memory_GiB < 1e4)) {
    m.Fail("memory_gib_per_gpu", "memory_gib_per_gpu must lie in (0, 1e4)");
  }
  ReadPrimary(m, v);
  if (m.Has("accounting")) {
    v->accounting = m.Enum<Accounting>("accounting", kAccountings);
  } else {
    // Only TFLOP/s and MFU figures depend on it; the step time of the others does not.
    const std::string name = AccountingForFormula(StatedString(r, "flops_formula"));
    for (const auto& [key, accounting] : kAccountings) {
      if (key == name) v->accounting = accounting;
    }
    v->assumptions.push_back("accounting not stated: " + name + " (from flops_formula)");
  }
  if (!Stated(m, v->metric_key)) {
    m.Fail("primary", "measured." + v->metric_key + " is the primary metric but is not stated");
  }
  v->metric_value = m.Double(v->metric_key);
  if (!(v->metric_value > 0 && v->metric_value < 1e12)) {
    m.Fail(v->metric_key, "measured." + v->metric_key + " must be positive and finite");
  }
  const bool percent = v->metric == RunMetric::kMfuPct || v->metric == RunMetric::kPctOfPeak ||
                       v->metric == RunMetric::kHfuPct;
  if (percent && v->metric_value > 100) {
    m.Fail(v->metric_key, "measured." + v->metric_key + " must lie in (0, 100]");
  }
  if (!v->skipped()) v->run.measured_step_time_s = StepTimeFromMetric(*v, v->metric_value);
}

// A record that leaves out a value pricing needs and no rule answers (its model's size, its GPU,
// its tensor or pipeline degree, any measurement): kept, skipped with the key named, so that one
// such record does not fail the file. Its id is required all the same.
ValidationRun NotPriced(const std::string& file, const YAML::Node& node, const NotStatedError& e) {
  const StrictMap r(file, node, kRecordKeys, "run record");
  ValidationRun v;
  v.line = node.Mark().line + 1;
  v.run.id = r.String("id");
  v.run.source = v.run.id.substr(0, v.run.id.find('_'));
  v.skip_reason = e.what();
  return v;
}

ValidationRun ReadRecord(const std::string& file, const YAML::Node& node) {
  const StrictMap r(file, node, kRecordKeys, "run record");
  ValidationRun v;
  v.line = node.Mark().line + 1;
  MeasuredRun& run = v.run;
  run.id = r.String("id");
  if (run.id.empty() || run.id.size() > 200) r.Fail("id", "id must be 1-200 characters");
  run.source = run.id.substr(0, run.id.find('_'));
  v.source_title = r.String("source");
  run.model = ReadModel(r, &v);
  const StrictMap t = r.Map("training", kTrainingKeys);
  const bool stack_stated = Stated(t, "stack");
  ReadStack(r, stack_stated ? t.String("stack") : InferStack(r, t, &v), &v);
  ReadHardware(r, &v);
  if (IsMoeRecord(r) && !v.moe) {
    v.skip_reason = "MoE: the record states its experts only in notes (no model.preset)";
  }
  if (!v.skipped()) {
    // Kept only where the stack was inferred and another may be tried.
    const std::optional<ValidationRun> before_layout =
        stack_stated ? std::nullopt : std::optional<ValidationRun>(v);
    if (!ReadLayout(r, &v) && before_layout && v.skip_reason.starts_with(kStackRefuses)) {
      v = WithAnotherStack(r, *before_layout, v);
    }
  }
  run.stack = v.stack.name;
  if (!v.skipped()) run.options = StackOptions(v.stack, run.cluster);
  ReadMeasured(r, &v);
  return v;
}

}  // namespace

std::vector<ValidationRun> ReadValidationRuns(const std::string& path) {
  const YAML::Node root = LoadSequence(path);
  std::vector<ValidationRun> runs;
  std::set<std::string> ids;
  for (const YAML::Node& n : root) {
    try {
      runs.push_back(ReadRecord(path, n));
    } catch (const NotStatedError& e) {
      runs.push_back(NotPriced(path, n, e));
    }
    if (!ids.insert(runs.back().run.id).second) {
      throw InputError(path, runs.back().line, 1, "duplicate run id '" + runs.back().run.id + "'");
    }
  }
  return runs;
}

}  // namespace planner
