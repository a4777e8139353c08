#include "planner/core/parallel_config.h"

#include <iterator>

#include "planner/core/pipeline_stages.h"

namespace planner {
namespace {

std::string S(int64_t v) { return std::to_string(v); }

// Why the layers do not split over the stages (pipeline_stages.h), with a split that would.
LayoutError ExplainStages(const ModelSpec& m, const ParallelConfig& p) {
  const LayoutIssue i = LayoutIssue::kPpLayers;
  const int64_t f = p.first_stage_layers, l = p.last_stage_layers;
  const LayoutField stated_field =
      f != 0 ? LayoutField::kFirstStageLayers : LayoutField::kLastStageLayers;
  if (f < 0 || l < 0) {
    return {i, f < 0 ? LayoutField::kFirstStageLayers : LayoutField::kLastStageLayers,
            "stage layer counts must be positive (0: an even split)"};
  }
  if (p.pp == 1 && (f > 0 || l > 0)) {
    return {i, stated_field, "a first or last stage layer count needs pp > 1"};
  }
  ParallelConfig no_vpp = p;
  no_vpp.vpp = 1;
  const StageLayout split = StageLayers(m.n_layers, no_vpp);
  ParallelConfig unequal = p;
  unequal.uneven_chunks = true;
  if (split.ok && !p.uneven_chunks && StageLayers(m.n_layers, unequal).ok) {
    return {i, LayoutField::kUnevenChunks,
            "vpp=" + S(p.vpp) +
                " does not divide the layers of every stage, on the first and "
                "last stage with the embedding or loss counted as a layer (" +
                S(m.n_layers) +
                " layers: " + (split.even() ? S(split.first) + " per stage" : StagesText(split)) +
                "): chunks of unequal size (Megatron-Core's pipeline layout) would split them"};
  }
  if (split.ok) {
    if (split.even()) {
      return {i, LayoutField::kVpp,
              "vpp=" + S(p.vpp) + " must divide the layers of every stage (" + S(m.n_layers) +
                  " layers: " + S(split.first) + " per stage)"};
    }
    return {i, LayoutField::kVpp,
            "vpp=" + S(p.vpp) +
                " must divide the layers of every stage, on the first and last "
                "stage with the embedding or loss counted as a layer (" +
                S(m.n_layers) + " layers: " + StagesText(split) + ")"};
  }
  if (p.pp > m.n_layers) {  // no split exists: every stage needs a layer
    return {i, LayoutField::kPp,
            "pp=" + S(p.pp) + " is more pipeline stages than the model's " + S(m.n_layers) +
                " layers: every stage needs at least one; use at most " + S(m.n_layers)};
  }
  if (f == 0 && l == 0) {
    LayoutError e{i, LayoutField::kPp,
                  "pp=" + S(p.pp) + " does not divide n_layers (" + S(m.n_layers) +
                      "): give the layer count of the first and/or last stage, the other stages "
                      "splitting the rest evenly"};
    const auto [first, last] = UnevenSplits(m.n_layers, p.pp).front();
    if (first > 0) {
      ParallelConfig uneven = no_vpp;
      uneven.first_stage_layers = first;
      uneven.last_stage_layers = last;
      e.example = {{LayoutField::kFirstStageLayers, first}, {LayoutField::kLastStageLayers, last}};
      e.example_note = StagesText(StageLayers(m.n_layers, uneven));
    }
    return e;
  }
  const int64_t others = p.pp - (f > 0 ? 1 : 0) - (l > 0 ? 1 : 0);
  const int64_t rest = m.n_layers - f - l;
  const std::string stated =
      f > 0 && l > 0 ? "a first stage of " + S(f) + " and a last stage of " + S(l) + " layers"
      : f > 0        ? "a first stage of " + S(f) + " layers"
                     : "a last stage of " + S(l) + " layers";
  const std::string need = others == 0 ? "none left over (no other stage)"
                                       : "a positive multiple of the other " + S(others) +
                                             " stages";
  if (rest < 0) {
    return {
        i, stated_field,
        stated + (f > 0 && l > 0 ? " exceed" : " exceeds") + " the " + S(m.n_layers) + " layers"};
  }
  return {i, stated_field,
          stated + (f > 0 && l > 0 ? " leave " : " leaves ") + S(rest) + " of " + S(m.n_layers) +
              " layers; pp=" + S(p.pp) + " needs " + need};
}

// Why Megatron-Core would refuse the CPU offloading (TransformerConfig.__post_init__), or the
// model cannot price it.
LayoutError ExplainOffload(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p) {
  const LayoutIssue i = LayoutIssue::kOffload;
  const LayoutField f = LayoutField::kOffloadLayers;
  if (p.offload_layers < 0 || p.offload_layers >= m.n_layers) {
    return {i, f,
            "offload_layers=" + S(p.offload_layers) + " must lie in [0, " + S(m.n_layers) +
                "): CPU offloading keeps at least one of the model's layers on the GPU"};
  }
  if (p.pp > 1) {
    return {i, LayoutField::kPp,
            "CPU offloading needs pp=1 (Megatron-Core has no pipelining with it)"};
  }
  if (p.recompute != Recompute::kNone) {
    return {i, LayoutField::kRecompute,
            "CPU offloading needs recompute none (Megatron-Core refuses both at once)"};
  }
  return {i, f,
          "CPU offloading needs the GPU's host link bandwidth and host memory: give "
          "gpu.host_link_GBps and gpu.host_GiB in the cluster file (" +
              c.gpu.name + " lacks " + (c.gpu.host_link_GBps > 0 ? "host_GiB" : "host_link_GBps") +
              ")"};
}

LayoutError Explain(LayoutIssue i, const ModelSpec& m, const ClusterSpec& c,
                    const ParallelConfig& p) {
  using F = LayoutField;
  switch (i) {
    case LayoutIssue::kGpuCount:
      return {i, F::kDp,
              "dp*tp*pp*cp = " + S(p.dp) + "*" + S(p.tp) + "*" + S(p.pp) + "*" + S(p.cp) + " = " +
                  S(p.gpus()) + " must equal the GPU count (" + S(c.total_gpus()) + ")"};
    case LayoutIssue::kTpHeads:
      return {i, F::kTp,
              "tp=" + S(p.tp) + " must divide n_heads (" + S(m.n_heads) +
                  ") and divide or be a multiple of n_kv_heads (" + S(m.n_kv_heads) + ")"};
    case LayoutIssue::kPpLayers: return ExplainStages(m, p);
    case LayoutIssue::kBatch:
      return {i, F::kGlobalBatch,
              "global batch (" + S(p.global_batch) + ") must be a multiple of dp*micro_batch (" +
                  S(p.dp) + "*" + S(p.micro_batch) + ")"};
    case LayoutIssue::kInterleave:
      return {i, F::kVpp,
              "vpp > 1 (interleaved 1F1B) needs pp > 1 and a number of "
              "micro-batches (" +
                  S(p.grad_accum()) + ") that is a multiple of pp (" + S(p.pp) + ")"};
    case LayoutIssue::kCpSeq:
      return {i, F::kCp,
              "cp=" + S(p.cp) + ": seq_len (" + S(m.seq_len) +
                  ") must split into 2*cp equal chunks (load-balanced causal attention)"};
    case LayoutIssue::kEp:
      return {i, F::kEp,
              "ep=" + S(p.ep) + " must divide the routed experts (moe.n_experts " +
                  S(m.moe.n_experts) + ")"};
    case LayoutIssue::kEpDp:
      if (p.etp < 0) return {i, F::kEtp, "etp must be positive (0: the same as tp)"};
      if (p.expert_tp() == p.tp) {
        LayoutError e{i, F::kEp,
                      "ep=" + S(p.ep) + " must divide dp*cp (" + S(p.dp * p.cp) +
                          "), the ranks that hold the experts"};
        if (p.tp > 1 && (p.tp * p.dp * p.cp) % p.ep == 0) {  // folding would take the tp ranks
          e.message += ", or the experts folded over tp*dp*cp";
          e.example = {{F::kEtp, 1}};
          e.example_note = "ep " + S(p.ep) + " x etp 1 over " + S(p.tp * p.dp * p.cp) + " ranks";
        }
        return e;
      }
      return {i, F::kEp,
              "ep*etp = " + S(p.ep) + "*" + S(p.etp) + " must divide tp*dp*cp (" +
                  S(p.tp * p.dp * p.cp) + "), the ranks the experts are folded onto"};
    case LayoutIssue::kEpDense:
      if (p.ep == 1) return {i, F::kEtp, "etp != tp needs a mixture-of-experts model"};
      return {i, F::kEp, "ep > 1 needs a mixture-of-experts model"};
    case LayoutIssue::kDualPipe:
      return {i, p.pp % 2 != 0 ? F::kPp : F::kGlobalBatch,
              "dualpipe needs an even pp and an even number of micro-batches, at least 2*pp = " +
                  S(2 * p.pp) + "; pp=" + S(p.pp) + " with " + S(p.grad_accum()) +
                  " micro-batches"};
    case LayoutIssue::kDpShard:
      if (p.zero == 0 && p.dp_shard > 0) {
        return {i, F::kDpShard,
                "dp_shard=" + S(p.dp_shard) +
                    " needs ZeRO >= 1: without it there "
                    "is nothing to shard"};
      }
      return {i, F::kDpShard,
              "dp_shard=" + S(p.dp_shard) + " must be a positive divisor of dp=" + S(p.dp) +
                  " (0: shard over all of dp)"};
    case LayoutIssue::kSp:
      return {i, F::kSp, "sequence parallelism needs tp > 1"};
    case LayoutIssue::kDtype:
      return {i, F::kDtype, UnsupportedDtypeText(p.dtype, c.gpu)};
    case LayoutIssue::kOffload:
      return ExplainOffload(m, c, p);
    case LayoutIssue::kTpSpansNodes:
      return {i, F::kTp,
              "tp=" + S(p.tp) + " spans beyond the " + c.network.front().name + " domain (" +
                  S(FastDomain(c)) + " GPUs)"};
    case LayoutIssue::kStackZero:
    case LayoutIssue::kStackZeroWithPp:
    case LayoutIssue::kStackFeature:
    case LayoutIssue::kStackCpHeads:
    case LayoutIssue::kOutOfMemory: break;
  }
  return {i, F::kNone, ToString(i)};
}

}  // namespace

std::optional<LayoutIssue> FindLayoutIssue(const ModelSpec& m, const ClusterSpec& c,
                                           const ParallelConfig& p) {
  if (auto issue = FindShapeIssue(m, c, p)) return issue;
  return FindDeviceIssue(c, p);
}

std::optional<LayoutIssue> FindShapeIssue(const ModelSpec& m, const ClusterSpec& c,
                                          const ParallelConfig& p) {
  for (int64_t v : {p.dp, p.tp, p.pp, p.cp, p.ep, p.vpp, p.micro_batch, p.global_batch}) {
    if (v <= 0) return LayoutIssue::kGpuCount;
  }
  if (p.gpus() != c.total_gpus()) return LayoutIssue::kGpuCount;
  if (m.n_heads % p.tp != 0 || (m.n_kv_heads % p.tp != 0 && p.tp % m.n_kv_heads != 0)) {
    return LayoutIssue::kTpHeads;
  }
  if (!StageLayers(m.n_layers, p).ok) return LayoutIssue::kPpLayers;
  if (p.cp > 1 && m.seq_len % (2 * p.cp) != 0) return LayoutIssue::kCpSeq;
  if (p.ep > 1 && !m.is_moe()) return LayoutIssue::kEpDense;
  if (p.ep > 1 && m.moe.n_experts % p.ep != 0) return LayoutIssue::kEp;
  if (p.etp < 0) return LayoutIssue::kEpDp;
  if (p.etp > 0 && p.etp != p.tp && !m.is_moe()) return LayoutIssue::kEpDense;
  if ((p.tp * p.dp * p.cp) % (p.expert_tp() * p.ep) != 0) return LayoutIssue::kEpDp;
  if (p.global_batch % (p.dp * p.micro_batch) != 0) return LayoutIssue::kBatch;
  if (p.vpp > 1 && (p.pp == 1 || p.grad_accum() % p.pp != 0)) return LayoutIssue::kInterleave;
  if (p.schedule == Schedule::kDualPipe && p.pp > 1 &&
      (p.pp % 2 != 0 || p.grad_accum() % 2 != 0 || p.grad_accum() < 2 * p.pp)) {
    return LayoutIssue::kDualPipe;
  }
  if (p.offload_layers != 0 &&
      (p.offload_layers < 0 || p.offload_layers >= m.n_layers || p.pp > 1 ||
       p.recompute != Recompute::kNone || !c.gpu.can_offload())) {
    return LayoutIssue::kOffload;
  }
  return FindShardIssue(p);
}

std::optional<LayoutError> CheckLayout(const ModelSpec& m, const ClusterSpec& c,
                                       const ParallelConfig& p) {
  const std::optional<LayoutIssue> i = FindLayoutIssue(m, c, p);
  if (!i) return std::nullopt;
  return Explain(*i, m, c, p);
}

constexpr EnumName<LayoutIssue> kLayoutIssueNames[] = {
    {LayoutIssue::kGpuCount, "dp*tp*pp*cp != GPUs"},
    {LayoutIssue::kTpHeads, "tp does not divide heads"},
    {LayoutIssue::kPpLayers, "layers do not split over pp stages (x vpp)"},
    {LayoutIssue::kBatch, "dp*micro-batch does not divide the global batch"},
    {LayoutIssue::kInterleave, "interleaving needs micro-batches % pp == 0"},
    {LayoutIssue::kCpSeq, "cp does not divide the sequence"},
    {LayoutIssue::kEp, "ep does not divide the experts"},
    {LayoutIssue::kEpDp, "ep does not divide dp*cp"},
    {LayoutIssue::kEpDense, "ep > 1 on a dense model"},
    {LayoutIssue::kDualPipe, "dualpipe needs even pp and micro-batches >= 2*pp"},
    {LayoutIssue::kDpShard, "dp_shard does not divide dp (or ZeRO 0)"},
    {LayoutIssue::kSp, "sequence parallelism needs tp > 1"},
    {LayoutIssue::kDtype, "dtype not supported by the GPU"},
    {LayoutIssue::kTpSpansNodes, "tp spans beyond the fast network domain"},
    {LayoutIssue::kOffload, "CPU offloading with pp, recompute or no host link or memory"},
    {LayoutIssue::kStackZero, "ZeRO stage beyond the stack's"},
    {LayoutIssue::kStackZeroWithPp, "stack runs no ZeRO-2/3 with pipelining"},
    {LayoutIssue::kStackFeature, "stack lacks CP/EP/ETP/SP/interleaving/PP/selective"},
    {LayoutIssue::kStackCpHeads, "all-to-all cp needs heads/tp divisible by cp"},
    {LayoutIssue::kOutOfMemory, "out of memory"}};

static_assert(std::size(kLayoutIssueNames) == kNumLayoutIssues, "a layout issue without a name");

const char* ToString(LayoutIssue i) { return NameIn(kLayoutIssueNames, i); }

constexpr EnumName<LayoutField> kLayoutFieldNames[] = {
    {LayoutField::kNone, "layout"},
    {LayoutField::kGpus, "gpus"},
    {LayoutField::kDp, "dp"},
    {LayoutField::kTp, "tp"},
    {LayoutField::kPp, "pp"},
    {LayoutField::kCp, "cp"},
    {LayoutField::kEp, "ep"},
    {LayoutField::kEtp, "etp"},
    {LayoutField::kVpp, "vpp"},
    {LayoutField::kFirstStageLayers, "first_stage_layers"},
    {LayoutField::kLastStageLayers, "last_stage_layers"},
    {LayoutField::kUnevenChunks, "uneven_chunks"},
    {LayoutField::kMicroBatch, "micro_batch"},
    {LayoutField::kGlobalBatch, "global_batch"},
    {LayoutField::kRecompute, "recompute"},
    {LayoutField::kSp, "sp"},
    {LayoutField::kZero, "zero"},
    {LayoutField::kDpShard, "dp_shard"},
    {LayoutField::kOffloadLayers, "offload_layers"},
    {LayoutField::kDtype, "dtype"},
    {LayoutField::kSchedule, "schedule"}};

const char* FieldName(LayoutField f) { return NameIn(kLayoutFieldNames, f); }

std::string WithExample(const LayoutError& e, const std::function<std::string(LayoutField)>& name) {
  if (e.example.empty()) return e.message;
  std::string s = e.message + ", e.g.";
  for (const FieldValue& v : e.example) s += " " + name(v.field) + " " + S(v.value);
  return e.example_note.empty() ? s : s + " (" + e.example_note + ")";
}

std::string Describe(const ParallelConfig& p) {
  std::string s = "dp=" + S(p.dp) + " tp=" + S(p.tp) + " pp=" + S(p.pp);
  if (p.cp > 1) s += " cp=" + S(p.cp);
  if (p.ep > 1) s += " ep=" + S(p.ep);
  if (p.etp > 0 && p.etp != p.tp) s += " etp=" + S(p.etp);
  if (p.vpp > 1) s += " vpp=" + S(p.vpp);
  if (p.first_stage_layers > 0) s += " first=" + S(p.first_stage_layers);
  if (p.last_stage_layers > 0) s += " last=" + S(p.last_stage_layers);
  if (p.uneven_chunks && p.vpp > 1) s += " uneven-chunks";
  s += " mb=" + S(p.micro_batch) + " zero=" + S(p.zero);
  if (p.dp_shard > 0 && p.dp_shard < p.dp) s += " dp_shard=" + S(p.dp_shard);
  s += std::string(" rc=") + ToString(p.recompute);
  if (p.offload_layers > 0) s += " offload=" + S(p.offload_layers);
  if (p.sp) s += " sp";
  return s;
}

int64_t DefaultGlobalBatch(const ParallelConfig& p) {
  const int64_t per_replica = p.pp > 1 ? kDefaultMicroBatchesPerStage * p.pp : 1;
  return p.dp * p.micro_batch * per_replica;
}

}  // namespace planner
