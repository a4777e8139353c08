// planner presets: the model, cluster and software-stack presets built into the binary, with the
// numbers a user picks one by (size, shape; GPU, memory, network, price; what a stack can run).
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "planner/cli/command.h"
#include "planner/core/cluster_spec.h"
#include "planner/core/params.h"
#include "planner/io/cluster_io.h"
#include "planner/io/format.h"
#include "planner/io/model_io.h"
#include "planner/io/presets.h"
#include "planner/io/stack_io.h"

namespace planner {
namespace {

enum class PresetKind { kAll, kModels, kClusters, kStacks };

// The presets of one kind ("models", "clusters", "stacks"), each parsed by `read` from the
// embedded text, not through LoadModel/LoadCluster/LoadStack, so that a file in the working
// directory that happens to share a preset's name cannot stand in for it.
template <class Spec, class Read>
std::vector<Spec> PresetsOf(const char* kind, Read read) {
  std::vector<Spec> specs;
  for (const Preset& p : AllPresets()) {
    if (std::string(p.kind) == kind) specs.push_back(read(ParseYaml(p.path, p.text)));
  }
  return specs;
}

std::vector<ModelSpec> ModelPresets() { return PresetsOf<ModelSpec>("models", ReadModelSpec); }
std::vector<StackSpec> StackPresets() { return PresetsOf<StackSpec>("stacks", ReadStackSpec); }
std::vector<ClusterSpec> ClusterPresets() {
  return PresetsOf<ClusterSpec>("clusters", [](const YamlDoc& d) { return ReadClusterSpec(d); });
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Training runs in bf16; a GPU without it (V100) is shown at its fp16 peak, labelled.
std::string TrainingPeakCell(const GpuSpec& gpu) {
  if (gpu.peak(Dtype::kBf16) > 0) return Num(gpu.peak(Dtype::kBf16));
  if (gpu.peak(Dtype::kFp16) > 0) return Num(gpu.peak(Dtype::kFp16)) + " (fp16)";
  return "none";
}

std::string NetworkCell(const ClusterSpec& c) {
  std::string s;
  for (const NetworkLevel& l : c.network) {
    if (!s.empty()) s += ", ";
    s += l.name + " " + Num(l.bw_GBps) + " (" +
         (l.size > 0 ? std::to_string(l.size) + " GPUs" : std::string("all")) + ")";
  }
  return s;
}

// Text shows sizes the way papers write them (70.6B); CSV and JSON the exact count. Keys as in
// the JSON's models[] and clusters[].
Table ModelTable(const std::vector<ModelSpec>& models) {
  Table t;
  t.title = "Model presets (`planner count NAME` for the breakdown)";
  t.columns = {{"name", false},
               {"params", true, "total_params"},
               {"layers", true, "n_layers"},
               {"d_model"},
               {"heads/kv", true, "", Shown::kText},
               {"heads", true, "n_heads", Shown::kData},
               {"kv heads", true, "n_kv_heads", Shown::kData},
               {"vocab", true, "vocab_size"},
               {"seq", true, "seq_len"},
               {"kind", false, "", Shown::kText},
               {"experts", true, "n_experts", Shown::kData},
               {"top-k", true, "top_k", Shown::kData}};
  t.notes = {"params: all parameters, as `planner count` counts them (MoE: every expert)",
             "heads/kv: query heads / key-value heads (fewer kv heads: GQA or MQA)"};
  const auto count = [](int64_t v) { return Cell(Grouped(v), static_cast<double>(v)); };
  for (const ModelSpec& m : models) {
    const ParamCount p = CountParams(m);
    std::string kind = m.is_moe() ? "MoE " + std::to_string(m.moe.n_experts) + " experts, top-" +
                                        std::to_string(m.moe.top_k)
                                  : "dense";
    if (m.n_mamba_layers() > 0) kind = "Mamba-2 hybrid, " + kind;
    t.AddRow({m.name, Cell(HumanCount(static_cast<double>(p.total)), static_cast<double>(p.total)),
              count(m.n_layers), count(m.d_model),
              std::to_string(m.n_heads) + "/" + std::to_string(m.n_kv_heads), count(m.n_heads),
              count(m.n_kv_heads), count(m.vocab_size), count(m.seq_len), kind,
              count(m.moe.n_experts), count(m.moe.top_k)});
  }
  return t;
}

Table ClusterTable(const std::vector<ClusterSpec>& clusters) {
  Table t;
  t.title = "Cluster presets (one node type each; `--gpus N` sets the count)";
  t.columns = {{"name", false},
               {"GPU", false, "gpu"},
               {"bf16 TFLOP/s", true, "", Shown::kText},
               {"bf16 TFLOP/s", true, "bf16", Shown::kData},
               {"fp16 TFLOP/s", true, "fp16", Shown::kData},
               {"fp8 TFLOP/s", true, "fp8"},
               {"fp4 TFLOP/s", true, "fp4"},
               {"HBM GiB", true, "hbm_GiB"},
               {"HBM GB/s", true, "hbm_GBps"},
               {"GPUs/node", true, "gpus_per_node"},
               {"$/GPU-hour", true, "price_per_gpu_hour_usd"},
               {"network", false}};
  const auto peak = [](const GpuSpec& g, Dtype d) {
    return Cell(Num(g.peak(d)), g.peak(d) > 0 ? g.peak(d) : NAN);
  };
  // A dtype the GPU lacks reads "-" (fp8 before Hopper, fp4 before Blackwell).
  const auto low = [&](const GpuSpec& g, Dtype d) {
    return g.peak(d) > 0 ? peak(g, d) : Cell("-", NAN);
  };
  for (const ClusterSpec& c : clusters) {
    t.AddRow({c.name, c.gpu.name, TrainingPeakCell(c.gpu), peak(c.gpu, Dtype::kBf16),
              peak(c.gpu, Dtype::kFp16), low(c.gpu, Dtype::kFp8), low(c.gpu, Dtype::kFp4),
              Cell(Num(c.gpu.hbm_GiB), c.gpu.hbm_GiB),
              Cell(Num(c.gpu.hbm_GBps), c.gpu.hbm_GBps),
              Cell(std::to_string(c.gpus_per_node), static_cast<double>(c.gpus_per_node)),
              FixedCell(c.price_per_gpu_hour_usd, 2), NetworkCell(c)});
  }
  t.notes = {
      "TFLOP/s: dense peak (no 2:4 sparsity); HBM GiB as nvidia-smi reports it; bandwidth in "
      "decimal GB/s",
      "network: each level fastest first, GB/s per GPU per direction (GPUs in one domain)",
      "$/GPU-hour: one provider's on-demand list price, a default to override with your own "
      "(configs/clusters/README.md names each)",
  };
  return t;
}

// What the stack can run, as the search enumerates it: "-" where it cannot.
std::string PipelineCell(const StackSpec& s) {
  if (!s.pipeline) return "-";
  return s.interleaved ? "interleaved" : "1F1B";
}

std::string CpCell(const StackSpec& s) {
  if (!s.context_parallel) return "-";
  return s.cp_comm == CpComm::kAllToAll ? "a2a (Ulysses)" : "ring";
}

// The ZeRO stages it runs: FSDP stacks have no optimizer-only sharding (0, 2-3).
std::string ZeroCell(const StackSpec& s) {
  const std::string top = std::to_string(s.max_zero);
  std::string z = s.max_zero == 0 ? "0" : (s.zero1 || s.max_zero < 2 ? "0-" : "0, 2-") + top;
  if (s.pipeline && s.max_zero_with_pp < s.max_zero) {
    z += " (" + std::to_string(s.max_zero_with_pp) + " with pp)";
  }
  return z;
}

// The dtypes below 16 bits the stack trains in: "fp8, fp4", "fp8" or "-".
std::string LowPrecisionCell(const StackSpec& s) {
  if (s.fp8 && s.fp4) return "fp8, fp4";
  if (s.fp8 || s.fp4) return s.fp8 ? "fp8" : "fp4";
  return "-";
}

Table StackTable(const std::vector<StackSpec>& stacks) {
  Table t;
  t.title = "Software stack presets (`--stack NAME`; `--stack-set key=value` to change a field)";
  t.columns = {{"name", false},
               {"ZeRO", false, "zero_stages"},
               {"default ZeRO", true, "default_zero"},
               {"pipeline", false},
               {"cp", false},
               {"ep", false},
               {"low precision", false, "low_precision"},
               {"recompute", false},
               {"attention", false},
               {"description", false}};
  for (const StackSpec& s : stacks) {
    t.AddRow({s.name, ZeroCell(s), Cell(std::to_string(s.default_zero), s.default_zero),
              PipelineCell(s), CpCell(s), s.expert_parallel ? "yes" : "-", LowPrecisionCell(s),
              s.selective_recompute ? "selective, full" : "full", ToString(s.attention),
              s.description});
  }
  t.notes = {"ZeRO: the stages it runs (FSDP stacks shard gradients whenever they shard)",
             "recompute: the modes besides none (full alone: it checkpoints whole layers)",
             "fields and their sources: configs/stacks/*.yaml; docs/validation.md tables each "
             "field"};
  return t;
}

nlohmann::ordered_json StackJson(const StackSpec& s) {
  return {{"name", s.name},
          {"description", s.description},
          {"max_zero", s.max_zero},
          {"max_zero_with_pp", s.max_zero_with_pp},
          {"zero1", s.zero1},
          {"default_zero", s.default_zero},
          {"pipeline", s.pipeline},
          {"interleaved", s.interleaved},
          {"context_parallel", s.context_parallel},
          {"cp_comm", ToString(s.cp_comm)},
          {"expert_parallel", s.expert_parallel},
          {"fp8", s.fp8},
          {"fp4", s.fp4},
          {"selective_recompute", s.selective_recompute},
          {"attention", ToString(s.attention)}};
}

nlohmann::ordered_json ModelJson(const ModelSpec& m) {
  const ParamCount p = CountParams(m);
  return {{"name", m.name},
          {"total_params", CountJson(p.total)},
          {"non_embedding_params", CountJson(p.non_embedding)},
          {"active_params", CountJson(p.active)},
          {"n_layers", m.n_layers},
          {"d_model", m.d_model},
          {"n_heads", m.n_heads},
          {"n_kv_heads", m.n_kv_heads},
          {"d_ff", m.d_ff},
          {"vocab_size", m.vocab_size},
          {"seq_len", m.seq_len},
          {"moe", {{"n_experts", m.moe.n_experts}, {"top_k", m.moe.top_k}}}};
}

nlohmann::ordered_json ClusterJson(const ClusterSpec& c) {
  nlohmann::ordered_json peaks = nlohmann::ordered_json::object();
  for (Dtype d : {Dtype::kBf16, Dtype::kFp16, Dtype::kFp8, Dtype::kFp4, Dtype::kTf32, Dtype::kFp32}) {
    if (c.gpu.peak(d) > 0) peaks[ToString(d)] = c.gpu.peak(d);
  }
  nlohmann::ordered_json network = nlohmann::ordered_json::array();
  for (const NetworkLevel& l : c.network) {
    network.push_back({{"name", l.name}, {"size", l.size}, {"bw_GBps", l.bw_GBps},
                       {"latency_us", l.latency_us}});
  }
  return {{"name", c.name},
          {"description", c.description},
          {"gpu", c.gpu.name},
          {"peak_tflops_dense", peaks},
          {"hbm_GiB", c.gpu.hbm_GiB},
          {"hbm_GBps", c.gpu.hbm_GBps},
          {"gpus_per_node", c.gpus_per_node},
          {"nodes", c.nodes},
          {"network", network},
          {"price_per_gpu_hour_usd", c.price_per_gpu_hour_usd}};
}

nlohmann::ordered_json PresetsJson(PresetKind kind) {
  nlohmann::ordered_json j = {{"schema_version", 1}};
  if (kind == PresetKind::kAll || kind == PresetKind::kModels) {
    j["models"] = nlohmann::ordered_json::array();
    for (const ModelSpec& m : ModelPresets()) j["models"].push_back(ModelJson(m));
  }
  if (kind == PresetKind::kAll || kind == PresetKind::kClusters) {
    j["clusters"] = nlohmann::ordered_json::array();
    for (const ClusterSpec& c : ClusterPresets()) j["clusters"].push_back(ClusterJson(c));
  }
  if (kind == PresetKind::kAll || kind == PresetKind::kStacks) {
    j["stacks"] = nlohmann::ordered_json::array();
    for (const StackSpec& s : StackPresets()) j["stacks"].push_back(StackJson(s));
  }
  return j;
}

std::vector<Table> PresetTables(PresetKind kind) {
  const bool all = kind == PresetKind::kAll;
  std::vector<Table> tables;
  if (all || kind == PresetKind::kModels) tables.push_back(ModelTable(ModelPresets()));
  if (all || kind == PresetKind::kClusters) tables.push_back(ClusterTable(ClusterPresets()));
  if (all || kind == PresetKind::kStacks) tables.push_back(StackTable(StackPresets()));
  return tables;
}

}  // namespace

int RunPresets(const std::vector<std::string>& args) {
  po::options_description options("planner presets options");
  options.add_options()("kind", po::value<std::string>()->default_value("all"),
                        "which presets: all, models, clusters or stacks");
  AddFormatOption(&options);
  po::variables_map vm;
  const std::optional<OutputFormat> format = ParseFormattedCommandLine(
      "presets",
      "[--kind all|models|clusters|stacks] [--format table|json|csv]\n\n"
      "--format csv writes one table: the models, or the clusters or stacks with --kind.",
      options, {}, args, &vm);
  if (!format) return 0;
  const PresetKind kind = EnumFlag<PresetKind>(vm, "kind",
                                               {{"all", PresetKind::kAll},
                                                {"models", PresetKind::kModels},
                                                {"clusters", PresetKind::kClusters},
                                                {"stacks", PresetKind::kStacks}});
  if (*format == OutputFormat::kJson) {
    std::cout << PresetsJson(kind).dump(2) << "\n";
    return 0;
  }
  if (*format == OutputFormat::kCsv) {
    RenderCsv(PresetTables(kind == PresetKind::kAll ? PresetKind::kModels : kind).front(),
              std::cout);
    return 0;
  }
  const std::vector<Table> tables = PresetTables(kind);
  for (size_t i = 0; i < tables.size(); ++i) {
    if (i > 0) std::cout << "\n";
    RenderText(tables[i], std::cout);
  }
  return 0;
}

}  // namespace planner
