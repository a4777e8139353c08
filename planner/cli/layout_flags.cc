#include "planner/cli/layout_flags.h"

#include <string>
#include <utility>

#include "planner/core/limits.h"
#include "planner/core/pipeline_stages.h"
#include "planner/io/cluster_io.h"
#include "planner/io/input_error.h"

namespace planner {
namespace {

// The one table from layout fields to option names: LayoutFromFlags parses with it, errors from
// core name their field with it, and LayoutCommand prints a layout back as flags.
struct LayoutOption {
  LayoutField field;
  const char* name;
};
constexpr LayoutOption kLayoutOptions[] = {
    {LayoutField::kGpus, "gpus"},
    {LayoutField::kTp, "tp"},
    {LayoutField::kPp, "pp"},
    {LayoutField::kDp, "dp"},
    {LayoutField::kCp, "cp"},
    {LayoutField::kEp, "ep"},
    {LayoutField::kEtp, "etp"},
    {LayoutField::kVpp, "vpp"},
    {LayoutField::kFirstStageLayers, "first-stage-layers"},
    {LayoutField::kLastStageLayers, "last-stage-layers"},
    {LayoutField::kUnevenChunks, "uneven-chunks"},
    {LayoutField::kMicroBatch, "micro-batch"},
    {LayoutField::kGlobalBatch, "global-batch"},
    {LayoutField::kRecompute, "recompute"},
    {LayoutField::kSp, "sp"},
    {LayoutField::kZero, "zero"},
    {LayoutField::kDpShard, "dp-shard"},
    {LayoutField::kOffloadLayers, "offload-layers"},
    {LayoutField::kDtype, "dtype"},
    {LayoutField::kSchedule, "schedule"},
};

const char* Opt(LayoutField f) { return OptionName(f); }

// --first-stage-layers / --last-stage-layers: 0 (an even split) or a layer count.
int64_t StageLayersFlag(const po::variables_map& vm, LayoutField f) {
  const int64_t v = vm[Opt(f)].as<int64_t>();
  if (v < 0 || v > kMaxGpus) {
    throw InputError(FlagName(f),
                     "must be 0 (an even split) or a layer count, got " + std::to_string(v));
  }
  return v;
}

}  // namespace

const char* OptionName(LayoutField f) {
  for (const LayoutOption& o : kLayoutOptions) {
    if (o.field == f) return o.name;
  }
  return "layout";
}

std::string FlagName(LayoutField f) {
  return f == LayoutField::kNone ? "layout" : "--" + std::string(OptionName(f));
}

InputError LayoutInputError(const LayoutError& e) {
  return InputError(FlagName(e.field), WithExample(e, FlagName));
}

std::string LayoutCommand(const ParallelConfig& p) {
  using F = LayoutField;
  std::string s;
  auto add = [&s](F f, const std::string& value) { s += " " + FlagName(f) + " " + value; };
  add(F::kGpus, std::to_string(p.gpus()));
  for (auto [f, v] : {std::pair{F::kTp, p.tp},
                      {F::kPp, p.pp},
                      {F::kCp, p.cp},
                      {F::kEp, p.ep},
                      {F::kVpp, p.vpp},
                      {F::kMicroBatch, p.micro_batch},
                      {F::kGlobalBatch, p.global_batch}}) {
    add(f, std::to_string(v));
  }
  add(F::kRecompute, ToString(p.recompute));
  add(F::kZero, std::to_string(p.zero));
  if (p.dp_replicas() > 1) add(F::kDpShard, std::to_string(p.dp_shard));
  if (p.offload_layers > 0) add(F::kOffloadLayers, std::to_string(p.offload_layers));
  add(F::kDtype, ToString(p.dtype));
  if (p.schedule != Schedule::kOneFOneB) add(F::kSchedule, ToString(p.schedule));
  if (p.etp > 0 && p.etp != p.tp) add(F::kEtp, std::to_string(p.etp));
  if (p.first_stage_layers > 0) add(F::kFirstStageLayers, std::to_string(p.first_stage_layers));
  if (p.last_stage_layers > 0) add(F::kLastStageLayers, std::to_string(p.last_stage_layers));
  if (p.uneven_chunks && p.vpp > 1) s += " " + FlagName(F::kUnevenChunks);
  return s;
}

void AddLayoutOptions(po::options_description* options) {
  using F = LayoutField;
  auto add = [options](F f, const po::value_semantic* v, const char* help) {
    options->add_options()(Opt(f), v, help);
  };
  auto degree = [](int64_t d) { return po::value<int64_t>()->default_value(d); };
  add(F::kGpus, po::value<int64_t>(), "GPUs (default: the cluster's; whole nodes)");
  add(F::kTp, degree(1), "tensor-parallel degree (Megatron)");
  add(F::kPp, degree(1), "pipeline-parallel stages");
  add(F::kDp, po::value<int64_t>(), "data-parallel degree (default: GPUs / (tp*pp*cp))");
  add(F::kCp, degree(1), "context-parallel degree (ring attention)");
  add(F::kEp, degree(1), "expert-parallel degree (MoE)");
  add(F::kEtp, degree(0),
      "expert tensor-parallel degree (MoE; 0: the same as --tp; another value folds the MoE "
      "layers onto their own etp x ep grid over the tp*cp*dp ranks, as Megatron-Core does)");
  add(F::kVpp, degree(1), "virtual stages per GPU (interleaved 1F1B)");
  add(F::kFirstStageLayers, degree(0),
      "layers on the first pipeline stage (0: even; the others split the rest evenly)");
  add(F::kLastStageLayers, degree(0),
      "layers on the last pipeline stage (0: even; the others split the rest evenly)");
  add(F::kUnevenChunks, po::bool_switch(),
      "virtual stages of unequal size: --vpp need not divide a stage's layers (Megatron-Core's "
      "--pipeline-model-parallel-layout)");
  add(F::kMicroBatch, degree(1), "sequences per micro-batch");
  add(F::kGlobalBatch, po::value<int64_t>(),
      "sequences per step (default: dp * micro-batch, times 8 * pp with a pipeline)");
  options->add_options()("seq", po::value<int64_t>(),
                         "sequence length (default: the model's seq_len)");
  add(F::kRecompute, po::value<std::string>()->default_value("none"),
      "activation recomputation: none, selective (attention core) or full");
  add(F::kSp, po::bool_switch(), "Megatron sequence parallelism (needs --tp > 1)");
  add(F::kZero, degree(0),
      "ZeRO stage 0-3 (1 = Megatron distributed optimizer, 3 = FSDP full shard)");
  add(F::kDpShard, degree(0),
      "hybrid sharding (HSDP): ZeRO shards over groups of this many data-parallel ranks, "
      "replicated dp / dp-shard times (0: over all of dp)");
  add(F::kOffloadLayers, degree(0),
      "CPU activation offloading (Megatron-Core --cpu-offloading-num-layers): this many layers "
      "keep their activations in host memory between forward and backward (pp 1, no recompute; "
      "the cluster's gpu.host_link_GBps and gpu.host_GiB)");
  add(F::kDtype, po::value<std::string>()->default_value("bf16"),
      "compute dtype: bf16, fp16, fp8 or fp4 (NVFP4, Blackwell)");
  add(F::kSchedule, po::value<std::string>()->default_value("1f1b"),
      "pipeline schedule: 1f1b (interleaved when --vpp > 1), gpipe (memory) or dualpipe "
      "(DeepSeek-V3: bubble and two stages per rank)");
}

void ApplySeqFlag(const po::variables_map& vm, ModelSpec* m) {
  if (!vm.count("seq")) return;
  m->seq_len = PositiveFlag(vm, "seq", kMaxDimension);
  if (auto e = Validate(*m)) throw InputError("--seq", e->message);
}

std::optional<int64_t> GpusFlag(const po::variables_map& vm) {
  if (!vm.count(Opt(LayoutField::kGpus))) return std::nullopt;
  return PositiveFlag(vm, Opt(LayoutField::kGpus), kMaxGpus);
}

Dtype DtypeFlag(const po::variables_map& vm) {
  return EnumFlag<Dtype>(vm, Opt(LayoutField::kDtype), Choices(kDtypeNames, kTrainingDtypes));
}

Recompute RecomputeFlag(const po::variables_map& vm) {
  return EnumFlag<Recompute>(vm, Opt(LayoutField::kRecompute), Choices(kRecomputeNames));
}

ClusterSpec ClusterFromFlags(const po::variables_map& vm) {
  return LoadCluster(vm["cluster"].as<std::string>(), GpusFlag(vm), FlagName(LayoutField::kGpus));
}

namespace {

int64_t Degree(const po::variables_map& vm, LayoutField f) {
  return PositiveFlag(vm, Opt(f), kMaxGpus);
}

// dp from the GPU count when --dp is not given; names the degree that does not divide the GPU
// count, else the product that does not.
int64_t ImpliedDp(const ParallelConfig& p, const ClusterSpec& c) {
  const int64_t model_parallel = p.tp * p.pp * p.cp;
  if (c.total_gpus() % model_parallel == 0) return c.total_gpus() / model_parallel;
  std::string flag = FlagName(LayoutField::kTp) + "*" + FlagName(LayoutField::kPp) + "*" +
                     FlagName(LayoutField::kCp);
  for (auto [f, degree] :
       {std::pair{LayoutField::kCp, p.cp}, {LayoutField::kPp, p.pp}, {LayoutField::kTp, p.tp}}) {
    if (c.total_gpus() % degree != 0) flag = FlagName(f);
  }
  throw InputError(flag, "tp*pp*cp = " + std::to_string(model_parallel) +
                             " does not divide the GPU count (" + std::to_string(c.total_gpus()) +
                             ")");
}

}  // namespace

ParallelConfig LayoutFromFlags(const po::variables_map& vm, const ModelSpec& m,
                               const ClusterSpec& c) {
  using F = LayoutField;
  ParallelConfig p;
  p.tp = Degree(vm, F::kTp);
  p.pp = Degree(vm, F::kPp);
  p.cp = Degree(vm, F::kCp);
  p.ep = Degree(vm, F::kEp);
  p.etp = vm[Opt(F::kEtp)].as<int64_t>();
  if (p.etp < 0 || p.etp > kMaxGpus) {
    throw InputError(FlagName(F::kEtp), "must be 0 (the same as --tp) or a positive degree, got " +
                                            std::to_string(p.etp));
  }
  p.vpp = Degree(vm, F::kVpp);
  p.first_stage_layers = StageLayersFlag(vm, F::kFirstStageLayers);
  p.last_stage_layers = StageLayersFlag(vm, F::kLastStageLayers);
  p.uneven_chunks = vm[Opt(F::kUnevenChunks)].as<bool>();
  p.micro_batch = Degree(vm, F::kMicroBatch);
  p.dp = vm.count(Opt(F::kDp)) ? Degree(vm, F::kDp) : ImpliedDp(p, c);
  p.global_batch = vm.count(Opt(F::kGlobalBatch))
                       ? PositiveFlag(vm, Opt(F::kGlobalBatch), kMaxGlobalBatch)
                       : DefaultGlobalBatch(p);
  if (p.global_batch > kMaxGlobalBatch) {
    throw InputError(FlagName(F::kGlobalBatch), "not given, and its default (" +
                                                    std::to_string(p.global_batch) +
                                                    " sequences) exceeds 2^30: give it");
  }
  p.recompute = RecomputeFlag(vm);
  p.sp = vm[Opt(F::kSp)].as<bool>();
  const int64_t zero = vm[Opt(F::kZero)].as<int64_t>();
  if (zero < 0 || zero > 3) {
    throw InputError(FlagName(F::kZero), "must be 0, 1, 2 or 3, got " + std::to_string(zero));
  }
  p.zero = static_cast<int>(zero);
  p.dp_shard = vm[Opt(F::kDpShard)].as<int64_t>();
  if (p.dp_shard < 0 || p.dp_shard > kMaxGpus) {
    throw InputError(FlagName(F::kDpShard), "must be 0 (all of dp) or a positive degree, got " +
                                                std::to_string(p.dp_shard));
  }
  p.offload_layers = vm[Opt(F::kOffloadLayers)].as<int64_t>();
  if (p.offload_layers < 0 || p.offload_layers > kMaxDimension) {
    throw InputError(FlagName(F::kOffloadLayers),
                     "must be 0 (none) or a layer count, got " + std::to_string(p.offload_layers));
  }
  p.dtype = DtypeFlag(vm);
  p.schedule = EnumFlag<Schedule>(vm, Opt(F::kSchedule), Choices(kScheduleNames));
  if (p.schedule == Schedule::kDualPipe && p.first_stage_layers == 0 && p.last_stage_layers == 0 &&
      p.pp > 1 && !StageLayers(m.n_layers, p).ok) {
    // DualPipe puts stage s and stage pp-1-s on one rank, so the first and last stages (which
    // also hold the embedding and the head) share a rank: without stated counts it takes
    // Megatron-Core's first uneven split (the one the error below would propose).
    const auto [first, last] = UnevenSplits(m.n_layers, p.pp).front();
    p.first_stage_layers = first;
    p.last_stage_layers = last;
  }
  return p;
}

}  // namespace planner
