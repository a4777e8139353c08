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
using runs::kStackRefuses;
using runs::ReadHardware;
using runs::StartsWith;
using runs::Stated;
using runs::StatedBool;
using runs::StatedDouble;
using runs::StatedInt;
using runs::StatedString;

const std::vector<std::string> kRecordKeys = {
    "id",    "source",   "source_locator", "verification",  "model",   "hardware", "parallelism",
    "batch", "training", "measured",       "flops_formula", "derived", "inferred", "notes"};
const std::vector<std::string> kRunModelKeys = {
    "family",       "n_layers",   "d_model", "n_heads",    "n_kv_heads",         "d_ff",
    "vocab",        "vocab_note", "seq_len", "activation", "position_embedding", "tied_embeddings",
    "total_params", "preset",     "head_dim"};
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
const std::vector<std::string> kTrainingKeys = {"recompute",     "precision",
                                                "framework",     "activation_cpu_offload",
                                                "attention",     "torch_compile",
                                                "compiled_loss", "stack",
                                                "stack_set",     "cpu_offloading_num_layers"};
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

// The runs model block has no MoE keys: an MoE record names a model preset, or states its
// experts in its notes ("moe: n_experts=128 top_k=8", MoeInNotes). Either way it is not the dense
// model its other keys describe.
bool IsMoeRecord(const StrictMap& r) {
  return r.Has("notes") && r.Value("notes").IsScalar() &&
         Contains(r.Value("notes").Scalar(), "n_experts");
}

// An MoE record without model.preset (the shared schema has no MoE keys): the one MoE model
// preset with the stated layers, width, heads and vocabulary, and the expert count its notes
// state; nullopt when none or several match.
std::optional<std::string> MoePresetOfShape(const StrictMap& r, const StrictMap& m) {
  const std::optional<NotesMoe> moe = MoeInNotes(r.Value("notes").Scalar());
  const std::optional<int64_t> layers = StatedInt(m, "n_layers"), width = StatedInt(m, "d_model"),
                               heads = StatedInt(m, "n_heads"), vocab = StatedInt(m, "vocab");
  if (!moe || !layers || !width || !heads || !vocab) return std::nullopt;
  std::optional<std::string> found;
  for (const std::string& name : PresetNames("models")) {
    const ModelSpec s = LoadModel(name);
    if (s.moe.n_experts != moe->n_experts || s.n_layers != *layers || s.d_model != *width ||
        s.n_heads != *heads || s.vocab_size != *vocab) {
      continue;
    }
    if (found) return std::nullopt;
    found = name;
  }
  return found;
}

// An MoE record of a shape no preset has: the experts its notes state on the dense keys, whose
// d_ff is the routed expert's width (as the records write it) unless the notes give d_ff_expert;
// dense_layers leading layers of dense_d_ff. MLA and other attention variants are not read.
void AddExpertsFromNotes(const StrictMap& r, ModelSpec* s, ValidationRun* v) {
  const std::optional<NotesMoe> e = MoeInNotes(r.Value("notes").Scalar());
  // Notes that contradict themselves leave the record skipped (ReadRecord), not the file failed.
  if (!e || e->top_k > e->n_experts || e->dense_layers >= s->n_layers) return;
  s->moe.n_experts = e->n_experts;
  s->moe.top_k = e->top_k;
  s->moe.d_ff_expert = e->d_ff_expert > 0 ? e->d_ff_expert : s->d_ff;
  s->moe.n_shared_experts = e->shared_experts;
  s->moe.first_dense_layers = e->dense_layers;
  if (e->dense_d_ff > 0) s->d_ff = e->dense_d_ff;
  v->moe = true;
  v->assumptions.push_back(
      "experts from the notes (no MoE preset of this shape): " + std::to_string(e->n_experts) +
      " routed, top " + std::to_string(e->top_k) + ", width " + std::to_string(s->moe.d_ff_expert));
}

// GPT (Megatron, MPT): learned positions, tied, GeLU, LayerNorm, biases on every linear but the
// head. Llama: RoPE, SwiGLU, RMSNorm, untied, no biases. The record's own fields override.
// Every number is checked before any arithmetic on it.
ModelSpec ReadModel(const StrictMap& r, ValidationRun* v) {
  const StrictMap m = r.Map("model", kRunModelKeys);
  std::optional<std::string> preset;
  if (m.Has("preset")) {
    preset = m.String("preset");
    if (!FindPreset("models", *preset)) {
      m.Fail("preset", "no model preset '" + *preset + "'; `planner presets` lists them");
    }
  } else if (IsMoeRecord(r)) {
    preset = MoePresetOfShape(r, m);
    if (preset) {
      v->assumptions.push_back("model.preset not stated: " + *preset +
                               ", the MoE preset of the stated shape and expert count");
    }
  }
  if (preset) {
    // model.preset names a model preset for what the keys below cannot spell out (experts, MLA):
    // the preset is the architecture, a stated seq_len the run's. An MoE model is priced but
    // kept out of the efficiency fit, which fits dense terms (ValidationRun::moe).
    const std::string& name = *preset;
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
  // head_dim is d_model / n_heads unless stated: GPT-3 XL (24 x 128 != 2048) and Gemma 7B
  // (16 x 256 != 3072) are not.
  if (const std::optional<int64_t> head_dim = StatedInt(m, "head_dim")) {
    if (*head_dim <= 0) m.Fail("head_dim", "head_dim must be positive");
    s.head_dim = *head_dim;
  } else if (s.d_model % s.n_heads != 0) {
    m.FailNotStated("head_dim",
                    "n_heads does not divide d_model and head_dim is not stated: state it");
  } else {
    s.head_dim = s.d_model / s.n_heads;
  }
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
  // Llama's layout (RMSNorm, no biases, untied) for its family and for any model that states a
  // gated MLP with rotary positions (Mistral, Mixtral, Qwen, DeepSeek); GPT-NeoX's RoPE with GeLU
  // keeps GPT's LayerNorm and biases.
  const bool llama_style = llama || (rope && s.mlp == MlpKind::kSwiglu);
  s.norm = llama_style ? NormKind::kRmsNorm : NormKind::kLayerNorm;
  s.tied_embeddings = StatedBool(m, "tied_embeddings").value_or(!llama_style);
  if (!llama_style) s.biases = {true, true, true, false};
  v->total_params = StatedInt(m, "total_params");
  if (IsMoeRecord(r)) AddExpertsFromNotes(r, &s, v);
  if (auto e = Validate(s)) m.Fail(e->key == "vocab_size" ? "vocab" : e->key, e->message);
  return s;
}

// The record's software stack (configs/stacks) and what the record itself states about the run
// beyond it, as `--stack-set` overrides so that `planner explain` can say the same.
// A record without `training.stack`: the preset its framework names (record_defaults.h), else
// explain's default stack; either way said under Notes.
std::string InferStack(const StrictMap& r, const StrictMap& t, ValidationRun* v) {
  const std::string framework = StatedString(t, "framework");
  const std::string stack = StackForFramework(framework, StatedString(r, "source"));
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

// What a record states about its run that no other key carries and its stack preset does not
// say (a benchmark config's token dispatcher or overlap flags, cited in its `inferred`), as the
// `--stack-set` overrides `planner explain` takes: training.stack_set: [overlap.a2a=true, ...].
std::vector<std::string> StatedOverrides(const StrictMap& t) {
  std::vector<std::string> overrides;
  if (!t.Has("stack_set") || t.Value("stack_set").IsNull()) return overrides;
  const YAML::Node& list = t.Value("stack_set");
  if (!list.IsSequence()) {
    t.Fail("stack_set", "stack_set must be a list of KEY=VALUE overrides, e.g. [overlap.a2a=true]");
  }
  for (const YAML::Node& n : list) overrides.push_back(ToString(t.file(), n, "stack_set"));
  return overrides;
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
  // its presets leave off: a record that names it turns it on, with its hybrid sharding
  // (--num-distributed-optimizer-instances: shards of dp / instances, replicated).
  if (Contains(StatedString(par, "fsdp"), "Megatron-FSDP")) {
    v->stack_overrides.push_back("supports.max_zero=3");
    v->stack_overrides.push_back("supports.hybrid_shard=true");
  }
  // torchao's rowwise fp8 recipe all-gathers the TP input in bf16 (torchtitan.yaml).
  if (Contains(StatedString(t, "precision"), "rowwise") && v->stack.sp_all_gather_fp8) {
    v->stack_overrides.push_back("sp_all_gather_fp8=false");
  }
  if (StatedBool(t, "torch_compile").value_or(false)) {
    v->stack_overrides.push_back("kernels=compiled");
  }
  const std::optional<bool> compiled_loss = StatedBool(t, "compiled_loss");
  if (compiled_loss.value_or(false)) v->stack_overrides.push_back("loss_kernels=compiled");
  if (!compiled_loss && name == "torchtitan" && StatedBool(t, "torch_compile").value_or(false) &&
      TorchtitanCompilesLoss(StatedString(t, "framework"), StatedString(r, "source"))) {
    v->stack_overrides.push_back("loss_kernels=compiled");
    v->assumptions.push_back(
        "compiled_loss not stated: true (torchtitan compiles the loss with the model from 2025)");
  }
  const std::string attention = StatedString(t, "attention");
  if (!attention.empty() && !AttentionTextIsFused(attention)) {
    v->stack_overrides.push_back("attention=unfused");
  }
  ApplyStackOverrides(v->stack_overrides, v->stack_name, &v->stack);
  const std::vector<std::string> stated = StatedOverrides(t);
  try {
    ApplyStackOverrides(stated, "stack_set", &v->stack);
  } catch (const InputError& e) {
    t.Fail("stack_set", e.what());
  }
  v->stack_overrides.insert(v->stack_overrides.end(), stated.begin(), stated.end());
}

bool ReadLayout(const StrictMap& r, ValidationRun* v) {
  return runs::ReadLayout(r.Map("parallelism", kParallelKeys), r.Map("batch", kBatchKeys),
                          r.Map("training", kTrainingKeys), v);
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

// measured.primary, or without it (or without its value) the most direct measurement the record
// states.
void ReadPrimary(const StrictMap& m, ValidationRun* v) {
  std::string named;
  if (Stated(m, "primary")) {
    named = m.String("primary");
    const auto known = std::find_if(kPrimaries.begin(), kPrimaries.end(),
                                    [&](const auto& p) { return p.first == named; });
    // A primary validate does not read (samples/s, a step time under another name) is the
    // source's choice, not an error in the file: the most direct measurement stated stands in.
    if (known != kPrimaries.end() && Stated(m, named)) {
      v->metric = known->second;
      v->metric_key = named;
      return;
    }
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
  if (!named.empty()) {
    v->assumptions.push_back("measured." + named + " (the primary) not stated or not read: " +
                             v->metric_key + ", the most direct measurement stated");
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
  if (Stated(m, "accounting")) {
    v->accounting = m.Enum<Accounting>("accounting", kAccountings);
  } else {
    // Only TFLOP/s and MFU figures depend on it; the step time of the others does not.
    const std::string name = AccountingForFormula(StatedString(r, "flops_formula"));
    for (const auto& [key, accounting] : kAccountings) {
      if (key == name) v->accounting = accounting;
    }
    v->assumptions.push_back("accounting not stated: " + name + " (from flops_formula)");
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
  std::vector<std::string> unread;
  const StrictMap r(file, node, kRecordKeys, "run record", &unread);
  ValidationRun v;
  v.line = node.Mark().line + 1;
  v.run.id = r.String("id");
  v.run.source = v.run.id.substr(0, v.run.id.find('_'));
  v.skip_reason = e.what();
  return v;
}

// tp * pp * cp * dp where tp, pp and dp are stated (cp unstated: 1), else nullopt.
std::optional<int64_t> GpusOfLayout(const StrictMap& par) {
  int64_t gpus = 1;
  for (const char* key : {"tp", "pp", "dp", "cp"}) {
    const std::optional<int64_t> degree = StatedInt(par, key);
    if (!degree && std::string(key) != "cp") return std::nullopt;
    if (degree && (*degree < 1 || *degree > kMaxGpus)) return std::nullopt;  // ReadLayout says so
    gpus *= degree.value_or(1);
    if (gpus > kMaxGpus) return std::nullopt;
  }
  return gpus;
}

// A record states what its source states, which may be more than pricing uses: a key that is
// not a misspelt known one (yaml_strict.h, open mappings) is listed as not read, not an error.
ValidationRun ReadRecord(const std::string& file, const YAML::Node& node) {
  std::vector<std::string> unread;
  const StrictMap r(file, node, kRecordKeys, "run record", &unread);
  ValidationRun v;
  v.line = node.Mark().line + 1;
  MeasuredRun& run = v.run;
  run.id = r.String("id");
  if (run.id.empty() || run.id.size() > 200) r.Fail("id", "id must be 1-200 characters");
  run.source = run.id.substr(0, run.id.find('_'));
  v.source_title = StatedString(r, "source");  // only shown: a record may leave it out
  run.model = ReadModel(r, &v);
  const StrictMap t = r.Map("training", kTrainingKeys);
  const bool stack_stated = Stated(t, "stack");
  ReadStack(r, stack_stated ? t.String("stack") : InferStack(r, t, &v), &v);
  ReadHardware(r, GpusOfLayout(r.Map("parallelism", kParallelKeys)), &v);
  if (IsMoeRecord(r) && !v.moe) {
    v.skip_reason =
        "MoE: the record names no model.preset, and its notes state no usable experts "
        "(\"moe: n_experts=N top_k=K\", top_k at most n_experts)";
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
  v.unread_keys = std::move(unread);
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
