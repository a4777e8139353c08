#include "planner/io/runs_io.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <regex>
#include <sstream>

#include "planner/core/memory.h"
#include "planner/core/units.h"
#include "planner/io/cluster_io.h"
#include "planner/io/input_error.h"
#include "planner/io/read_file.h"
#include "planner/io/yaml_strict.h"

namespace planner {
namespace {

const std::vector<std::string> kRecordKeys = {
    "id",    "source",   "source_locator", "verification",  "model",   "hardware", "parallelism",
    "batch", "training", "measured",       "flops_formula", "derived", "inferred", "notes"};
const std::vector<std::string> kRunModelKeys = {
    "family",      "n_layers",   "d_model", "n_heads",    "n_kv_heads",         "d_ff",
    "vocab",       "vocab_note", "seq_len", "activation", "position_embedding", "tied_embeddings",
    "total_params"};
const std::vector<std::string> kHardwareKeys = {
    "gpu",           "num_gpus",      "peak_tflops_per_gpu", "peak_basis",
    "power_limit_W", "gpus_per_node", "interconnect"};
const std::vector<std::string> kParallelKeys = {"tp",
                                                "pp",
                                                "dp",
                                                "cp",
                                                "sp",
                                                "ep",
                                                "virtual_pipeline_stages",
                                                "zero_stage",
                                                "ddp_impl",
                                                "fsdp",
                                                "pipeline_schedule",
                                                "async_tp"};
const std::vector<std::string> kBatchKeys = {"micro_batch_size", "global_batch_size",
                                             "grad_accum_steps", "global_batch_tokens",
                                             "local_batch_size"};
const std::vector<std::string> kTrainingKeys = {
    "recompute", "precision",     "framework", "activation_cpu_offload",
    "attention", "torch_compile", "stack"};
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

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}
bool StartsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

// A key that is present with a value (the records write null for "not stated").
bool Stated(const StrictMap& m, const std::string& key) {
  return m.Has(key) && !m.Value(key).IsNull();
}
std::optional<int64_t> StatedInt(const StrictMap& m, const std::string& key) {
  return Stated(m, key) ? std::optional<int64_t>(m.Int(key)) : std::nullopt;
}
std::optional<double> StatedDouble(const StrictMap& m, const std::string& key) {
  return Stated(m, key) ? std::optional<double>(m.Double(key)) : std::nullopt;
}
std::string StatedString(const StrictMap& m, const std::string& key) {
  return Stated(m, key) ? m.String(key) : "";
}

// The file is a YAML list of records, not a mapping, so yaml_strict's LoadYamlFile does not apply.
YAML::Node LoadSequence(const std::string& path) {
  const std::string text = ReadInputFile(path, "YAML");
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(path, std::max(e.mark.line, 0) + 1, std::max(e.mark.column, 0) + 1,
                     "not valid YAML: " + e.msg);
  }
  if (!root.IsSequence() || root.size() == 0) {
    throw InputError(path,
                     "expected a non-empty YAML list of run records (as tests/data/runs.yaml)");
  }
  return root;
}

// GPT (Megatron, MPT): learned positions, tied, GeLU, LayerNorm, biases on every linear but the
// head. Llama: RoPE, SwiGLU, RMSNorm, untied, no biases. The record's own fields override.
ModelSpec ReadModel(const StrictMap& r, ValidationRun* v) {
  const StrictMap m = r.Map("model", kRunModelKeys);
  ModelSpec s;
  v->family = m.String("family");
  const bool llama = Contains(v->family, "Llama") || Contains(v->family, "LLAMA");
  s.name = r.String("id");
  s.n_layers = m.Int("n_layers");
  s.d_model = m.Int("d_model");
  s.n_heads = m.Int("n_heads");
  s.n_kv_heads = StatedInt(m, "n_kv_heads").value_or(s.n_heads);
  s.head_dim = s.d_model / s.n_heads;
  s.d_ff = m.Int("d_ff");
  s.vocab_size = m.Int("vocab");
  s.seq_len = m.Int("seq_len");
  const std::string act = m.String("activation");
  s.mlp = Contains(act, "SwiGLU") ? MlpKind::kSwiglu : MlpKind::kGelu;
  const std::string pos = StatedString(m, "position_embedding");
  const bool rope = pos.empty() ? llama : StartsWith(pos, "RoPE");
  s.position = rope ? Position::kRope : Position::kLearned;
  s.max_position_embeddings = rope ? 0 : s.seq_len;
  s.norm = llama ? NormKind::kRmsNorm : NormKind::kLayerNorm;
  s.tied_embeddings = m.Bool("tied_embeddings");
  if (!llama) s.biases = {true, true, true, false};
  v->total_params = StatedInt(m, "total_params");
  if (auto e = Validate(s)) m.Fail(e->key == "vocab_size" ? "vocab" : e->key, e->message);
  return s;
}

// The preset for the record's GPU. torchtitan's H100 is a 96 GB HBM2e, 500 W part of Meta's
// Grand Teton servers, which no preset describes: it runs as dgx-h100 (same Hopper SM count,
// lower power limit), and the report says so.
std::string ClusterFor(const StrictMap& hw, std::string* note) {
  const std::string gpu = hw.String("gpu");
  if (Contains(gpu, "A100") && Contains(gpu, "80GB")) return "dgx-a100-80gb";
  if (Contains(gpu, "H100") && Contains(gpu, "96GB")) {
    *note = "H100 96GB HBM2e (Grand Teton) modelled as dgx-h100";
    return "dgx-h100";
  }
  if (Contains(gpu, "H100") && (Contains(gpu, "SXM") || Contains(gpu, "80GB"))) return "dgx-h100";
  hw.Fail("gpu", "no cluster preset for GPU '" + gpu + "' (known: A100 80GB, H100 SXM, H100 96GB)");
}

// A GPU run below its rated power ("500W power limit") lowers its clock until it fits: dynamic
// power goes as f V^2 and voltage falls with frequency, so P ~ f^3 and the sustained tensor-core
// rate scales as (limit / TDP)^(1/3). HBM bandwidth does not depend on the SM clock.
double ApplyPowerLimit(const std::string& gpu_text, GpuSpec* gpu, std::string* note) {
  static const std::regex kLimit("([0-9]+) ?W power limit");
  std::smatch match;
  if (!std::regex_search(gpu_text, match, kLimit) || gpu->tdp_W <= 0) return 1;
  const double limit_W = std::stod(match[1].str());
  if (limit_W >= gpu->tdp_W) return 1;
  const double scale = std::cbrt(limit_W / gpu->tdp_W);
  for (double& peak : gpu->peak_tflops) peak *= scale;
  std::ostringstream s;
  s << ", at its " << match[1].str() << " W power limit: peaks x (" << match[1].str() << "/"
    << gpu->tdp_W << ")^(1/3) = " << std::fixed << std::setprecision(3) << scale;
  *note += s.str();
  return scale;
}

Recompute ReadRecompute(const StrictMap& t, ValidationRun* v) {
  const std::string rc = StatedString(t, "recompute");
  if (rc.empty()) {
    v->assumptions.push_back("recompute not stated: none");
    return Recompute::kNone;
  }
  if (StartsWith(rc, "full")) return Recompute::kFull;
  if (StartsWith(rc, "selective")) return Recompute::kSelective;
  if (StartsWith(rc, "none")) return Recompute::kNone;
  t.Fail("recompute", "recompute must start with full, selective or none, got '" + rc + "'");
}

// Megatron-LM 2021/22 on A100 (Narayanan, Korthikanti): no FlashAttention yet (the s^2 scores are
// materialised), dropout 0.1 on attention and hidden states (Megatron's GPT defaults), fused
// kernels.
void ApplyMegatron2021(const StrictMap& par, const std::string& precision, ValidationRun* v) {
  MeasuredRun& run = v->run;
  run.options.memory.flash_attention = false;
  run.options.memory.dropout = true;
  run.options.memory.kernels = Kernels::kFused;
  // examples/sc21/CONFIG.sh runs --fp16 without --accumulate-allreduce-grads-in-fp32: the
  // gradients are all-reduced in fp16. DDP "local" reduces after the last backward; torch DDP
  // overlaps the reduction with it.
  run.options.grad_comm_bytes = 2;
  run.options.overlap_dp = StatedString(par, "ddp_impl") != "local";
  // Megatron 2022 overlaps the backward TP collectives with the weight-gradient GEMMs
  // (async all-reduce; with SP, reduce-scatter); the SC21 code of 2021 did not.
  const bool sc21 = run.source == "narayanan2021";
  run.options.overlap_tp_backward = !sc21;
  run.layout.dtype = Contains(precision, "fp16") ? Dtype::kFp16 : Dtype::kBf16;
  if (precision.empty()) v->assumptions.push_back("precision not stated: 16-bit (same A100 peak)");
  v->accounting = sc21 ? Accounting::kMegatron : Accounting::kKorthikanti;
  v->metric = sc21 ? RunMetric::kTflopsPerGpu : RunMetric::kIterationTime;
}

// What the 2024 H100 stacks (llm-foundry, torchtitan, NeMo) share: no dropout (MPT pretraining
// yamls, Llama), fused attention, FSDP's fp32 gradient reduction and fp32 sharded parameters.
void ApplyRecentDefaults(const std::string& precision, ValidationRun* v) {
  MeasuredRun& run = v->run;
  run.options.memory.dropout = false;
  run.options.memory.flash_attention = true;
  run.options.grad_comm_bytes = 4;  // FSDP reduce_dtype fp32 (Composer DEFAULT, torchtitan)
  if (run.layout.zero >= 2) {
    // FSDP keeps the sharded parameters in fp32 (they are the optimizer's master copy) and
    // gathers 16-bit ones per layer: 4 + 4 (gradients) + 8 (Adam m, v) bytes per parameter.
    run.options.memory.weight_bytes = 4;
    run.options.memory.optimizer_bytes = 8;
  }
  const bool fp8 = Contains(precision, "FP8") || Contains(precision, "Float8");
  run.layout.dtype = fp8 ? Dtype::kFp8 : Dtype::kBf16;
}

void ApplyLlmFoundry(const StrictMap& t, ValidationRun* v) {
  // MosaicML: (6N + 12 L d s) per token with N including embeddings = PaLM's convention.
  v->accounting = Accounting::kPalm;
  v->metric = RunMetric::kTokensPerS;
  StepTimeOptions& o = v->run.options;
  o.memory.flash_attention = Contains(StatedString(t, "attention"), "flash");
  // Eager PyTorch (Composer): LayerNorm and GeLU are single native kernels, biases ride in the
  // GEMMs, the loss upcasts to fp32.
  o.memory.kernels = Kernels::kEager;
  o.memory.loss_kernels = Kernels::kEager;
  o.attention_efficiency = 0.5;  // attn_impl flash: FlashAttention-2 on H100
}

void ApplyTorchtitan(const StrictMap& t, ValidationRun* v) {
  v->accounting = Accounting::kMegatronCore;  // the record's derived TFLOP/s use it
  v->metric = RunMetric::kTokensPerSPerGpu;
  StepTimeOptions& o = v->run.options;
  // torchtitan compiles each transformer block; its loss stays eager (torch.compile of the loss
  // was disabled in train.py at the benchmarked commit).
  o.memory.kernels = t.Bool("torch_compile", false) ? Kernels::kCompiled : Kernels::kEager;
  o.memory.loss_kernels = Kernels::kEager;
  o.memory.selective = SelectivePolicy::kEveryOtherMatmul;
  o.attention_efficiency = 0.5;          // SDPA's flash backend is FlashAttention-2
  o.fp8_scaling = Fp8Scaling::kDynamic;  // torchao Float8Linear, tensorwise
}

void ApplyNemo(ValidationRun* v) {
  v->accounting = Accounting::kMegatronCore;
  v->metric = RunMetric::kTokensPerSPerGpu;
  StepTimeOptions& o = v->run.options;
  o.memory.kernels = Kernels::kFused;  // Transformer Engine
  o.fp8_scaling = Fp8Scaling::kDelayed;
  o.grad_comm_bytes = 2;  // Megatron-Core DDP: grad_reduce_in_fp32 off by default
}

// The software facts each source states (or its framework fixes), and how it reports a run.
void ApplySource(const StrictMap& r, ValidationRun* v) {
  const std::string& source = v->run.source;
  const StrictMap t = r.Map("training", kTrainingKeys);
  const std::string precision = StatedString(t, "precision");
  if (source == "narayanan2021" || source == "korthikanti2022") {
    ApplyMegatron2021(r.Map("parallelism", kParallelKeys), precision, v);
    return;
  }
  ApplyRecentDefaults(precision, v);
  if (source == "llmfoundry") {
    ApplyLlmFoundry(t, v);
  } else if (source == "torchtitan") {
    ApplyTorchtitan(t, v);
  } else if (source == "nemo2407") {
    ApplyNemo(v);
  } else {
    r.Fail("id", "unknown source '" + source +
                     "' (known: narayanan2021, korthikanti2022, llmfoundry, torchtitan, nemo2407)");
  }
}

// The layout; returns false (with v->skip_reason) when the record does not state it.
bool ReadLayout(const StrictMap& r, ValidationRun* v) {
  ParallelConfig& p = v->run.layout;
  const StrictMap par = r.Map("parallelism", kParallelKeys);
  const StrictMap b = r.Map("batch", kBatchKeys);
  const StrictMap t = r.Map("training", kTrainingKeys);
  p.tp = par.Int("tp");
  p.pp = par.Int("pp");
  p.cp = StatedInt(par, "cp").value_or(1);
  p.ep = StatedInt(par, "ep").value_or(1);
  p.vpp = StatedInt(par, "virtual_pipeline_stages").value_or(1);
  p.sp = par.Bool("sp", false);
  p.dp = StatedInt(par, "dp").value_or(0);
  if (auto z = StatedInt(par, "zero_stage")) {
    p.zero = static_cast<int>(*z);
  } else {
    p.zero = 1;
    v->assumptions.push_back(
        "zero_stage not stated: Megatron-Core distributed optimizer (ZeRO-1), "
        "NeMo's default");
  }
  p.recompute = ReadRecompute(t, v);
  std::optional<int64_t> micro = StatedInt(b, "micro_batch_size");
  if (!micro && Stated(b, "local_batch_size")) {
    micro = b.Int("local_batch_size");
    v->assumptions.push_back("micro-batch = local batch " + std::to_string(*micro) +
                             " (no gradient accumulation)");
  }
  const std::optional<int64_t> global = StatedInt(b, "global_batch_size");
  if (!micro || !global) {
    v->skip_reason = "micro-batch and global batch not stated (only MFU from the abstract)";
    return false;
  }
  p.micro_batch = *micro;
  p.global_batch = *global;
  if (p.dp == 0) p.dp = v->run.cluster.total_gpus() / (p.tp * p.pp * p.cp);
  if (auto e = CheckLayout(v->run.model, v->run.cluster, p)) {
    par.Fail("tp", "layout does not fit: " + e->message);
  }
  return true;
}

// The measured quantity, and the step time it implies in the source's accounting.
void ReadMeasured(const StrictMap& r, ValidationRun* v) {
  const StrictMap m = r.Map("measured", kMeasuredKeys);
  v->measured_memory_GiB = StatedDouble(m, "memory_gib_per_gpu");
  const char* key = "";
  switch (v->metric) {
    case RunMetric::kTflopsPerGpu:
      key = "tflops_per_gpu";
      break;
    case RunMetric::kIterationTime:
      key = "iteration_time_s";
      break;
    case RunMetric::kTokensPerS:
      key = "tokens_per_sec";
      break;
    case RunMetric::kTokensPerSPerGpu:
      key = "tokens_per_sec_per_gpu";
      break;
  }
  if (!Stated(m, key)) {
    if (v->skipped()) return;
    m.Fail(key, std::string("measured.") + key + " is needed for source " + v->run.source);
  }
  v->metric_value = m.Double(key);
  if (!(v->metric_value > 0)) m.Fail(key, std::string("measured.") + key + " must be positive");
  if (!v->skipped()) v->run.measured_step_time_s = StepTimeFromMetric(*v, v->metric_value);
}

ValidationRun ReadRecord(const std::string& file, const YAML::Node& node) {
  const StrictMap r(file, node, kRecordKeys, "run record");
  ValidationRun v;
  v.line = node.Mark().line + 1;
  MeasuredRun& run = v.run;
  run.id = r.String("id");
  run.source = run.id.substr(0, run.id.find('_'));
  v.source_title = r.String("source");
  run.model = ReadModel(r, &v);
  const StrictMap hw = r.Map("hardware", kHardwareKeys);
  v.cluster_preset = ClusterFor(hw, &v.hardware_note);
  try {
    run.cluster = LoadCluster(v.cluster_preset, hw.Int("num_gpus"));
  } catch (const InputError& e) {
    hw.Fail("num_gpus", e.what());
  }
  v.peak_scale = ApplyPowerLimit(hw.String("gpu"), &run.cluster.gpu, &v.hardware_note);
  run.generation = GpuGeneration(run.cluster.gpu);
  ReadLayout(r, &v);
  ApplySource(r, &v);
  ReadMeasured(r, &v);
  return v;
}

}  // namespace

std::vector<ValidationRun> ReadValidationRuns(const std::string& path) {
  const YAML::Node root = LoadSequence(path);
  std::vector<ValidationRun> runs;
  for (const YAML::Node& n : root) runs.push_back(ReadRecord(path, n));
  return runs;
}

double SourceStepFlops(const ValidationRun& r) {
  const FlopsOptions o{r.run.model.seq_len, r.run.layout.global_batch, false,
                       r.run.layout.recompute};
  return AccountFlops(r.run.model, o, r.accounting).step_flops;
}

double MetricFromStepTime(const ValidationRun& r, double step_time_s) {
  const double gpus = static_cast<double>(r.run.layout.gpus());
  const double tokens = static_cast<double>(r.run.layout.global_batch) * r.run.model.seq_len;
  switch (r.metric) {
    case RunMetric::kTflopsPerGpu:
      return SourceStepFlops(r) / (step_time_s * gpus) / kFlopsPerTflop;
    case RunMetric::kIterationTime:
      return step_time_s;
    case RunMetric::kTokensPerS:
      return tokens / step_time_s;
    case RunMetric::kTokensPerSPerGpu:
      return tokens / step_time_s / gpus;
  }
  return 0;
}

double StepTimeFromMetric(const ValidationRun& r, double metric) {
  // Every metric is either the step time or inversely proportional to it.
  if (r.metric == RunMetric::kIterationTime) return metric;
  return MetricFromStepTime(r, 1.0) / metric;
}

const char* MetricUnit(RunMetric m) {
  switch (m) {
    case RunMetric::kTflopsPerGpu:
      return "TFLOP/s/GPU";
    case RunMetric::kIterationTime:
      return "s/iteration";
    case RunMetric::kTokensPerS:
      return "tokens/s";
    case RunMetric::kTokensPerSPerGpu:
      return "tokens/s/GPU";
  }
  return "?";
}

double ReservedBytes(const MemoryBreakdown& m) { return m.total - m.cuda_context - m.comm_buffers; }

}  // namespace planner
