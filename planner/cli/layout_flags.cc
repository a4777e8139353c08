#include "planner/cli/layout_flags.h"

#include <string>
#include <utility>

#include "planner/core/limits.h"
#include "planner/core/pipeline_stages.h"
#include "planner/io/input_error.h"

namespace planner {
namespace {

// --first-stage-layers / --last-stage-layers: 0 (an even split) or a layer count.
int64_t StageLayersFlag(const po::variables_map& vm, const char* name) {
  const int64_t v = vm[name].as<int64_t>();
  if (v < 0 || v > kMaxGpus) {
    throw InputError(std::string("--") + name,
                     "must be 0 (an even split) or a layer count, got " + std::to_string(v));
  }
  return v;
}

}  // namespace

void AddLayoutOptions(po::options_description* options) {
  options->add_options()
      ("gpus", po::value<int64_t>(), "GPUs (default: the cluster's; whole nodes)")
      ("tp", po::value<int64_t>()->default_value(1), "tensor-parallel degree (Megatron)")
      ("pp", po::value<int64_t>()->default_value(1), "pipeline-parallel stages")
      ("dp", po::value<int64_t>(), "data-parallel degree (default: GPUs / (tp*pp*cp))")
      ("cp", po::value<int64_t>()->default_value(1), "context-parallel degree (ring attention)")
      ("ep", po::value<int64_t>()->default_value(1), "expert-parallel degree (MoE)")
      ("vpp", po::value<int64_t>()->default_value(1), "virtual stages per GPU (interleaved 1F1B)")
      ("first-stage-layers", po::value<int64_t>()->default_value(0),
       "layers on the first pipeline stage (0: even; the others split the rest evenly)")
      ("last-stage-layers", po::value<int64_t>()->default_value(0),
       "layers on the last pipeline stage (0: even; the others split the rest evenly)")
      ("micro-batch", po::value<int64_t>()->default_value(1), "sequences per micro-batch")
      ("global-batch", po::value<int64_t>(), "sequences per step (default: dp * micro-batch)")
      ("seq", po::value<int64_t>(), "sequence length (default: the model's seq_len)")
      ("recompute", po::value<std::string>()->default_value("none"),
       "activation recomputation: none, selective (attention core) or full")
      ("sp", po::bool_switch(), "Megatron sequence parallelism (needs --tp > 1)")
      ("zero", po::value<int64_t>()->default_value(0),
       "ZeRO stage 0-3 (1 = Megatron distributed optimizer, 3 = FSDP full shard)")
      ("dtype", po::value<std::string>()->default_value("bf16"), "compute dtype: bf16, fp16 or fp8")
      ("schedule", po::value<std::string>()->default_value("1f1b"),
       "pipeline schedule: 1f1b (interleaved when --vpp > 1), gpipe (memory) or dualpipe "
       "(DeepSeek-V3: bubble and two stages per rank)");
}

void ApplySeqFlag(const po::variables_map& vm, ModelSpec* m) {
  if (!vm.count("seq")) return;
  m->seq_len = PositiveFlag(vm, "seq", kMaxDimension);
  if (auto e = Validate(*m)) throw InputError("--seq", e->message);
}

std::optional<int64_t> GpusFlag(const po::variables_map& vm) {
  if (!vm.count("gpus")) return std::nullopt;
  return PositiveFlag(vm, "gpus", kMaxGpus);
}

Dtype DtypeFlag(const po::variables_map& vm) {
  return EnumFlag<Dtype>(vm, "dtype",
                         {{"bf16", Dtype::kBf16}, {"fp16", Dtype::kFp16}, {"fp8", Dtype::kFp8}});
}

Recompute RecomputeFlag(const po::variables_map& vm) {
  return EnumFlag<Recompute>(
      vm, "recompute",
      {{"none", Recompute::kNone}, {"selective", Recompute::kSelective}, {"full", Recompute::kFull}});
}

ParallelConfig LayoutFromFlags(const po::variables_map& vm, const ModelSpec& m,
                               const ClusterSpec& c) {
  ParallelConfig p;
  p.tp = PositiveFlag(vm, "tp", kMaxGpus);
  p.pp = PositiveFlag(vm, "pp", kMaxGpus);
  p.cp = PositiveFlag(vm, "cp", kMaxGpus);
  p.ep = PositiveFlag(vm, "ep", kMaxGpus);
  p.vpp = PositiveFlag(vm, "vpp", kMaxGpus);
  p.first_stage_layers = StageLayersFlag(vm, "first-stage-layers");
  p.last_stage_layers = StageLayersFlag(vm, "last-stage-layers");
  p.micro_batch = PositiveFlag(vm, "micro-batch", kMaxGpus);
  const int64_t model_parallel = p.tp * p.pp * p.cp;
  if (vm.count("dp")) {
    p.dp = PositiveFlag(vm, "dp", kMaxGpus);
  } else {
    if (c.total_gpus() % model_parallel != 0) {
      // Name the degree that does not divide the GPU count, else the product that does not.
      std::string flag = "--tp*--pp*--cp";
      for (const auto& [name, degree] : {std::pair{"--cp", p.cp}, {"--pp", p.pp}, {"--tp", p.tp}}) {
        if (c.total_gpus() % degree != 0) flag = name;
      }
      throw InputError(flag, "tp*pp*cp = " + std::to_string(model_parallel) +
                                   " does not divide the GPU count (" +
                                   std::to_string(c.total_gpus()) + ")");
    }
    p.dp = c.total_gpus() / model_parallel;
  }
  p.global_batch = vm.count("global-batch") ? PositiveFlag(vm, "global-batch", kMaxGlobalBatch)
                                            : p.dp * p.micro_batch;
  p.recompute = RecomputeFlag(vm);
  p.sp = vm["sp"].as<bool>();
  const int64_t zero = vm["zero"].as<int64_t>();
  if (zero < 0 || zero > 3) throw InputError("--zero", "must be 0, 1, 2 or 3, got " + std::to_string(zero));
  p.zero = static_cast<int>(zero);
  p.dtype = DtypeFlag(vm);
  p.schedule = EnumFlag<Schedule>(vm, "schedule", {{"1f1b", Schedule::kOneFOneB},
                                                   {"gpipe", Schedule::kGPipe},
                                                   {"dualpipe", Schedule::kDualPipe}});
  if (p.schedule == Schedule::kDualPipe && p.first_stage_layers == 0 &&
      p.last_stage_layers == 0 && p.pp > 1 && !StageLayers(m.n_layers, p).ok) {
    // DualPipe puts stage s and stage pp-1-s on one rank, so the first and last stages (which
    // also hold the embedding and the head) share a rank: without stated counts it takes
    // Megatron-Core's first uneven split (the one the error below would propose).
    const auto [first, last] = UnevenSplits(m.n_layers, p.pp).front();
    p.first_stage_layers = first;
    p.last_stage_layers = last;
  }
  if (auto e = CheckLayout(m, c, p)) {
    // A fast-domain overflow is allowed on request: explain shows what it costs.
    if (e->issue != LayoutIssue::kTpSpansNodes) throw InputError(e->flag, e->message);
  }
  return p;
}

}  // namespace planner
