#include "planner/cli/report.h"

#include <cmath>

#include "planner/cli/outlook_report.h"
#include "planner/core/params.h"
#include "planner/core/pipeline_stages.h"
#include "planner/core/units.h"
#include "planner/io/format.h"

namespace planner {
namespace {

struct Item {
  const char* section;
  std::string name;
  const char* key;  // the value's path in ExplanationJson, the CSV's key column
  double value;
  const char* unit;
  std::string note;
};

std::vector<Item> MemoryItems(const Explanation& e) {
  const MemoryBreakdown& m = e.memory;
  const char* s = "memory";
  std::vector<Item> items = {
      {s, "weights", "memory.weights_GiB", BytesToGiB(m.weights), "GiB", ""},
      {s, "gradients", "memory.gradients_GiB", BytesToGiB(m.gradients), "GiB", ""},
      {s, "optimizer states", "memory.optimizer_GiB", BytesToGiB(m.optimizer), "GiB",
       m.muon_saving > 0 ? "fp32 master + Muon momentum (layers), Adam m, v (embedding, head)"
                         : "fp32 master + Adam m, v"},
      {s, "activations", "memory.activations_GiB", BytesToGiB(m.activations), "GiB",
       Fixed(m.inflight_layer_microbatches, 1) + " layer-micro-batches in flight"},
      {s, "recompute / gather working set", "memory.transient_GiB", BytesToGiB(m.transient), "GiB",
       ""},
      {s, "logits", "memory.logits_GiB", BytesToGiB(m.logits), "GiB", "last stage"},
      {s, "pipeline buffers", "memory.pipeline_buffers_GiB", BytesToGiB(m.pipeline_buffers), "GiB",
       "per micro-batch (pipelining)"},
      {s, "CUDA context", "memory.cuda_context_GiB", BytesToGiB(m.cuda_context), "GiB", "overhead"},
      {s, "communication buffers", "memory.comm_buffers_GiB", BytesToGiB(m.comm_buffers), "GiB",
       "overhead"},
      {s, "allocator fragmentation", "memory.fragmentation_GiB", BytesToGiB(m.fragmentation), "GiB",
       "overhead"},
      {s, "total", "memory.total_GiB", BytesToGiB(m.total), "GiB",
       "of " + Fixed(BytesToGiB(UsableHbmBytes(e.cluster)), 1) + " usable, stage " +
           std::to_string(m.stage)}};
  if (e.layout.offload_layers > 0) {  // CPU offloading: beside the GPU's total, not in it
    items.push_back({s, "offloaded to host", "memory.host_offload_GiB", BytesToGiB(m.host_offload),
                     "GiB",
                     std::to_string(e.layout.offload_layers) + " layers, of " +
                         Fixed(e.cluster.gpu.host_GiB, 1) + " host memory per GPU"});
  }
  return items;
}

// Uneven stages: the split and the stage whose micro-batch time paces the pipeline and its bubble.
std::string PacingNote(const Explanation& e) {
  const std::string stages = StagesText(StageLayers(e.model.n_layers, e.layout));
  if (stages.empty()) return "";
  const MicrobatchTime& m = e.time.microbatch;
  const int64_t last = e.layout.pp - 1;
  const std::string which = m.stage == 0      ? "the first stage"
                            : m.stage == last ? "the last stage"
                                              : "a middle stage";
  return "layers " + stages + "; paced by " + which + " (" +
         std::to_string(static_cast<int64_t>(m.layers)) + " layers" +
         (m.stage == last && e.model.lm_head ? " + LM head" : "") + ")";
}

// Where the stack's ZeRO-3 calls cost host work per rank (list-based collectives), how much.
std::string Zero3HostNote(const StepTime& t) {
  if (t.zero3_host_s <= 0) return "";
  return ", " + Fixed(t.zero3_host_s, 4) + " s of it host work (" + GroupedRound(t.zero3_calls) +
         " calls)";
}

// An overlapped all-to-all shows the compute its kernels' SMs hold back while it runs, or the
// part of it that outlasts compute (ExposedAllToAllSeconds).
std::string EpNote(const StepTime& t) {
  const std::string of = "exposed of " + Fixed(t.ep_comm_s, 4);
  if (t.ep_exposed_s >= t.ep_comm_s) return of;
  return of + " (overlapped: its SMs' share of compute, or what outlasts compute)";
}

std::vector<Item> TimeItems(const Explanation& e) {
  const StepTime& t = e.time;
  const char* s = "time";
  std::vector<Item> items = {
      {s, "forward", "time.forward_s", t.forward_s, "s", ""},
      {s, "backward", "time.backward_s", t.backward_s, "s", ""},
      {s, "recompute", "time.recompute_s", t.recompute_s, "s", ""},
      {s, "tp communication", "time.tp_comm_s", t.tp_comm_s, "s", "exposed (synchronous)"},
      {s, "cp communication", "time.cp_exposed_s", t.cp_exposed_s, "s",
       e.cp_all_to_all ? "exposed: all-to-alls around attention (Ulysses), synchronous"
                       : "exposed of " + Fixed(t.cp_comm_s, 4)},
      {s, "ep all-to-all", "time.ep_exposed_s", t.ep_exposed_s, "s", EpNote(t)},
      {s, "pp send/recv", "time.pp_exposed_s", t.pp_exposed_s, "s",
       "exposed of " + Fixed(t.pp_comm_s, 4)},
      {s, "zero-3 gathers", "time.zero3_exposed_s", t.zero3_exposed_s, "s",
       "exposed of " + Fixed(t.zero3_comm_s, 4) + Zero3HostNote(t)},
      {s, "dp gradients", "time.dp_exposed_s", t.dp_exposed_s, "s",
       "exposed of " + Fixed(t.dp_comm_s, 4) + " (rest overlaps backward)"},
      {s, "pipeline bubble", "time.bubble_s", t.bubble_s, "s", PacingNote(e)},
      {s, "optimizer step", "time.optimizer_s", t.optimizer_s, "s", ""},
      {s, "step time", "step_time_s", t.step_time_s, "s",
       std::to_string(t.microbatches) + " micro-batches; bound by " + t.bound}};
  if (t.offload_copy_s > 0) {  // CPU offloading: its stalls are in forward and backward
    items.insert(
        items.begin() + 3,
        {s, "cpu offload stalls", "time.offload_exposed_s", t.offload_exposed_s, "s",
         "in forward/backward; copies " + Fixed(t.offload_copy_s, 4) + " over the host link"});
  }
  return items;
}

std::vector<Item> ThroughputItems(const Explanation& e) {
  const StepTime& t = e.time;
  const char* s = "throughput";
  return {
      {s, "MFU", "mfu", t.mfu, "%", "model FLOPs / dense 16-bit peak"},
      {s, "HFU", "hfu", t.hfu, "%", "with recomputed FLOPs"},
      {s, "model TFLOP/s per GPU", "model_tflops_per_gpu", t.model_tflops_per_gpu, "TFLOP/s", ""},
      {s, "tokens/s per GPU", "tokens_per_s_per_gpu", t.tokens_per_s_per_gpu, "tokens/s", ""},
      {s, "tokens/s", "tokens_per_s", t.tokens_per_s, "tokens/s", ""}};
}

std::vector<Item> RunItems(const Explanation& e) {
  if (!e.tokens) return {};
  const RunEstimate r = EstimateRun(e, *e.tokens);
  const char* s = "training run";
  return {
      {s, "tokens", "run.tokens", *e.tokens, "tokens", ""},
      {s, "steps", "run.steps", r.steps, "steps", ""},
      {s, "wall-clock", "run.days", r.days, "days", "steps x step time"},
      {s, "simple estimate", "run.simple_days", r.simple_days, "days", "6*N*D / (GPUs * tau)"},
      {s, "GPU-hours", "run.gpu_hours", r.gpu_hours, "GPU-h", ""},
      {s, "cost", "run.cost_usd", r.cost_usd, "USD",
       "at $" + Fixed(e.cluster.price_per_gpu_hour_usd, 2) + "/GPU-h (preset list-price default)"}};
}

std::vector<Item> AllItems(const Explanation& e) {
  std::vector<Item> all;
  for (auto* f : {MemoryItems, TimeItems, ThroughputItems, RunItems}) {
    for (Item& i : f(e)) all.push_back(std::move(i));
  }
  return all;
}

std::string ValueText(const Item& i) {
  if (std::string(i.unit) == "s") return Fixed(i.value, 4);
  if (std::string(i.unit) == "%") return Fixed(100 * i.value, 2);
  // Grouped digits only where the value fits a Count exactly; beyond that (or inf) scientific.
  if (!std::isfinite(i.value) || i.value >= 1e18) return Sci(i.value, 4);
  if (i.value >= 1e5) return Grouped(static_cast<Count>(i.value + 0.5));
  return Fixed(i.value, 2);
}

}  // namespace

RunEstimate EstimateRun(const Explanation& e, double tokens) {
  RunEstimate r;
  static_cast<RunCost&>(r) =
      CostOfRun(tokens, e.layout.global_batch, e.model.seq_len, e.time.step_time_s, e.layout.gpus(),
                e.cluster.price_per_gpu_hour_usd);
  const double n = static_cast<double>(CountParams(e.model).total);
  const double tau = e.time.model_tflops_per_gpu * kFlopsPerTflop;
  r.simple_days = 6 * n * tokens / (e.layout.gpus() * tau) / kSecondsPerDay;
  return r;
}

bool Explanation::fits() const {
  return memory.total <= UsableHbmBytes(cluster) && HostHoldsOffload(memory, cluster);
}

std::string DoesNotFitText(const MemoryBreakdown& m, const ClusterSpec& c,
                           const ParallelConfig& p) {
  if (m.total > UsableHbmBytes(c)) {
    return "does not fit: " + Fixed(BytesToGiB(m.total), 1) + " GiB of " +
           Fixed(BytesToGiB(UsableHbmBytes(c)), 1) +
           " GiB usable per GPU; raise --zero, --tp, --pp or --recompute, lower --micro-batch, or "
           "use a --stack that saves memory (e.g. fp8 caches)";
  }
  if (!HostHoldsOffload(m, c)) {
    return "does not fit: the " + std::to_string(p.offload_layers) +
           " offloaded layers' activations take " + Fixed(BytesToGiB(m.host_offload), 1) +
           " GiB of host memory, " + Fixed(c.gpu.host_GiB, 1) +
           " GiB per GPU; offload fewer layers (--offload-layers) or lower --micro-batch";
  }
  return "";
}

std::string DoesNotFitLine(const Explanation& e) {
  return DoesNotFitText(e.memory, e.cluster, e.layout);
}

void PrintExplanation(const Explanation& e, std::ostream& out) {
  out << e.model.name << " on " << e.cluster.name << " x " << e.layout.gpus() << " GPUs ("
      << e.cluster.gpu.name << "): " << Describe(e.layout) << ", " << ToString(e.layout.dtype)
      << ", global batch " << e.layout.global_batch << " x " << e.model.seq_len << " tokens\n";
  if (!e.stack_line.empty()) out << e.stack_line << "\n";
  for (const std::string& n : e.notes) out << "note: " << n << "\n";
  out << "\n";
  std::vector<SectionRow> rows;
  for (const Item& i : AllItems(e)) {
    rows.push_back({i.section, i.name, ValueText(i), i.unit, i.note,
                    i.name == "total" || i.name == "step time"});
  }
  RenderSections(rows, out);
  out << "bound by: " << e.time.bound << "\n";
  if (e.band.records > 0) {
    out << "step time P10-P90: " << Fixed(e.time.step_time_s * e.band.p10_factor, 3) << " - "
        << Fixed(e.time.step_time_s * e.band.p90_factor, 3)
        << " s (out-of-sample residuals: " << e.band.basis << ")" << BandSideNote(e.band) << "\n";
  }
  for (const std::string& w : e.warnings) out << "warning: " << w << "\n";
  if (!e.fits()) out << DoesNotFitLine(e) << "\n";
}

// One row per figure, keyed by its path in the JSON (memory.weights_GiB); fractions as fractions.
Table ExplanationTable(const Explanation& e) {
  Table t;
  t.columns = {{"key", false}, {"section", false}, {"item", false},
               {"value"},      {"unit", false},    {"note", false}};
  for (const Item& i : AllItems(e)) {
    const bool percent = std::string(i.unit) == "%";
    t.AddRow({i.key, i.section, i.name, Cell(ValueText(i), i.value), percent ? "fraction" : i.unit,
              i.note});
  }
  return t;
}

namespace {

// 1F1B with virtual stages is the interleaved schedule (Narayanan et al. 2021), named as
// `planner simulate --schedule` names it.
std::string ScheduleName(const ParallelConfig& p) {
  if (p.schedule == Schedule::kOneFOneB && p.vpp > 1) return "interleaved-1f1b";
  return ToString(p.schedule);
}

}  // namespace

nlohmann::ordered_json LayoutJson(const ParallelConfig& p) {
  return {{"dp", p.dp},
          {"tp", p.tp},
          {"pp", p.pp},
          {"cp", p.cp},
          {"ep", p.ep},
          {"etp", p.expert_tp()},
          {"vpp", p.vpp},
          {"first_stage_layers", p.first_stage_layers},
          {"last_stage_layers", p.last_stage_layers},
          {"uneven_chunks", p.uneven_chunks},
          {"micro_batch", p.micro_batch},
          {"global_batch", p.global_batch},
          {"microbatches", p.grad_accum()},
          {"recompute", ToString(p.recompute)},
          {"sp", p.sp},
          {"zero", p.zero},
          {"dp_shard", p.dp_shard_size()},
          {"offload_layers", p.offload_layers},
          {"dtype", ToString(p.dtype)},
          {"schedule", ScheduleName(p)}};
}

nlohmann::ordered_json MemoryJson(const MemoryBreakdown& m) {
  return {{"total_GiB", BytesToGiB(m.total)},
          {"weights_GiB", BytesToGiB(m.weights)},
          {"gradients_GiB", BytesToGiB(m.gradients)},
          {"optimizer_GiB", BytesToGiB(m.optimizer)},
          {"activations_GiB", BytesToGiB(m.activations)},
          {"transient_GiB", BytesToGiB(m.transient)},
          {"logits_GiB", BytesToGiB(m.logits)},
          {"pipeline_buffers_GiB", BytesToGiB(m.pipeline_buffers)},
          {"cuda_context_GiB", BytesToGiB(m.cuda_context)},
          {"comm_buffers_GiB", BytesToGiB(m.comm_buffers)},
          {"fragmentation_GiB", BytesToGiB(m.fragmentation)},
          {"host_offload_GiB", BytesToGiB(m.host_offload)},
          {"inflight_layer_microbatches", m.inflight_layer_microbatches},
          {"stage", m.stage}};
}

nlohmann::ordered_json TimeJson(const StepTime& t) {
  return {{"compute_s", t.compute_s},
          {"forward_s", t.forward_s},
          {"backward_s", t.backward_s},
          {"recompute_s", t.recompute_s},
          {"tp_comm_s", t.tp_comm_s},
          {"cp_comm_s", t.cp_comm_s},
          {"cp_exposed_s", t.cp_exposed_s},
          {"ep_comm_s", t.ep_comm_s},
          {"ep_exposed_s", t.ep_exposed_s},
          {"pp_comm_s", t.pp_comm_s},
          {"pp_exposed_s", t.pp_exposed_s},
          {"zero3_comm_s", t.zero3_comm_s},
          {"zero3_exposed_s", t.zero3_exposed_s},
          {"zero3_calls", t.zero3_calls},
          {"zero3_host_s", t.zero3_host_s},
          {"offload_copy_s", t.offload_copy_s},
          {"offload_exposed_s", t.offload_exposed_s},
          {"dp_comm_s", t.dp_comm_s},
          {"dp_exposed_s", t.dp_exposed_s},
          {"dp_overlapped_s", t.dp_comm_s - t.dp_exposed_s},
          {"bubble_s", t.bubble_s},
          {"optimizer_s", t.optimizer_s},
          {"paced_stage", t.microbatch.stage},
          {"paced_stage_layers", t.microbatch.layers}};
}

nlohmann::ordered_json ExplanationJson(const Explanation& e) {
  const StepTime& t = e.time;
  nlohmann::ordered_json j = {{"schema_version", 1},
                              {"model", e.model.name},
                              {"cluster", e.cluster.name},
                              {"gpus", e.layout.gpus()},
                              {"layout", LayoutJson(e.layout)},
                              {"step_time_s", t.step_time_s},
                              {"tokens_per_s_per_gpu", t.tokens_per_s_per_gpu},
                              {"tokens_per_s", t.tokens_per_s},
                              {"model_tflops_per_gpu", t.model_tflops_per_gpu},
                              {"mfu", t.mfu},
                              {"hfu", t.hfu},
                              {"bound", t.bound},
                              {"stack", e.stack},
                              {"fits", e.fits()},
                              {"memory", MemoryJson(e.memory)},
                              {"usable_GiB", BytesToGiB(UsableHbmBytes(e.cluster))},
                              {"time", TimeJson(t)}};
  j["step_time_p10_s"] = t.step_time_s * e.band.p10_factor;
  j["step_time_p90_s"] = t.step_time_s * e.band.p90_factor;
  j["band_basis"] = e.band.records > 0 ? e.band.basis : "no validation data";
  j["efficiency_source"] = e.cluster.efficiency.source;
  j["warnings"] = e.warnings;
  j["notes"] = e.notes;
  if (e.tokens) {
    const RunEstimate r = EstimateRun(e, *e.tokens);
    j["run"] = {{"tokens", *e.tokens},
                {"steps", r.steps},
                {"days", r.days},
                {"simple_days", r.simple_days},
                {"gpu_hours", r.gpu_hours},
                {"cost_usd", r.cost_usd},
                {"price_per_gpu_hour_usd", e.cluster.price_per_gpu_hour_usd},
                {"price_source", "cluster preset list-price default"}};
  }
  return j;
}

}  // namespace planner
