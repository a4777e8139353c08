#include "planner/core/parallel_config.h"

namespace planner {
namespace {

std::string S(int64_t v) { return std::to_string(v); }

std::optional<LayoutError> Err(LayoutIssue i, const char* flag, std::string msg) {
  return LayoutError{i, flag, std::move(msg)};
}

std::optional<LayoutError> CheckShape(const ModelSpec& m, const ParallelConfig& p) {
  if (m.n_heads % p.tp != 0 || (m.n_kv_heads % p.tp != 0 && p.tp % m.n_kv_heads != 0)) {
    return Err(LayoutIssue::kTpHeads, "--tp",
               "tp=" + S(p.tp) + " must divide n_heads (" + S(m.n_heads) +
                   ") and divide or be a multiple of n_kv_heads (" + S(m.n_kv_heads) + ")");
  }
  if (m.n_layers % (p.pp * p.vpp) != 0) {
    return Err(LayoutIssue::kPpLayers, "--pp",
               "pp*vpp = " + S(p.pp * p.vpp) + " must divide n_layers (" + S(m.n_layers) + ")");
  }
  if (p.cp > 1 && m.seq_len % (2 * p.cp) != 0) {
    return Err(LayoutIssue::kCpSeq, "--cp",
               "cp=" + S(p.cp) + ": seq_len (" + S(m.seq_len) +
                   ") must split into 2*cp equal chunks (load-balanced causal attention)");
  }
  if (p.ep > 1 && (!m.is_moe() || m.moe.n_experts % p.ep != 0 || (p.dp * p.cp) % p.ep != 0)) {
    return Err(LayoutIssue::kEp, "--ep",
               m.is_moe() ? "ep=" + S(p.ep) + " must divide n_experts (" + S(m.moe.n_experts) +
                                ") and dp*cp (" + S(p.dp * p.cp) + ")"
                          : "ep > 1 needs a mixture-of-experts model");
  }
  return std::nullopt;
}

std::optional<LayoutError> CheckBatch(const ParallelConfig& p) {
  if (p.global_batch % (p.dp * p.micro_batch) != 0) {
    return Err(LayoutIssue::kBatch, "--global-batch",
               "global batch (" + S(p.global_batch) + ") must be a multiple of dp*micro_batch (" +
                   S(p.dp) + "*" + S(p.micro_batch) + ")");
  }
  if (p.vpp > 1 && (p.pp == 1 || p.grad_accum() % p.pp != 0)) {
    return Err(LayoutIssue::kInterleave, "--vpp",
               "vpp > 1 (interleaved 1F1B) needs pp > 1 and a number of micro-batches (" +
                   S(p.grad_accum()) + ") that is a multiple of pp (" + S(p.pp) + ")");
  }
  return std::nullopt;
}

}  // namespace

std::optional<LayoutError> CheckLayout(const ModelSpec& m, const ClusterSpec& c,
                                       const ParallelConfig& p) {
  for (int64_t v : {p.dp, p.tp, p.pp, p.cp, p.ep, p.vpp, p.micro_batch, p.global_batch}) {
    if (v <= 0) return Err(LayoutIssue::kGpuCount, "--dp", "layout sizes must be positive");
  }
  if (p.gpus() != c.total_gpus()) {
    return Err(LayoutIssue::kGpuCount, "--dp",
               "dp*tp*pp*cp = " + S(p.dp) + "*" + S(p.tp) + "*" + S(p.pp) + "*" + S(p.cp) + " = " +
                   S(p.gpus()) + " must equal the GPU count (" + S(c.total_gpus()) + ")");
  }
  if (auto e = CheckShape(m, p)) return e;
  if (auto e = CheckBatch(p)) return e;
  if (p.sp && p.tp == 1) return Err(LayoutIssue::kSp, "--sp", "sequence parallelism needs tp > 1");
  if (c.gpu.peak(p.dtype) <= 0) {
    return Err(LayoutIssue::kDtype, "--dtype",
               std::string(ToString(p.dtype)) + " is not supported by " + c.gpu.name);
  }
  const int64_t fast = c.network.front().size > 0 ? c.network.front().size : c.total_gpus();
  if (p.tp > fast) {
    return Err(LayoutIssue::kTpSpansNodes, "--tp",
               "tp=" + S(p.tp) + " spans beyond the " + c.network.front().name + " domain (" +
                   S(fast) + " GPUs)");
  }
  return std::nullopt;
}

const char* ToString(LayoutIssue i) {
  switch (i) {
    case LayoutIssue::kGpuCount: return "dp*tp*pp*cp != GPUs";
    case LayoutIssue::kTpHeads: return "tp does not divide heads";
    case LayoutIssue::kPpLayers: return "pp*vpp does not divide layers";
    case LayoutIssue::kBatch: return "dp*micro-batch does not divide the global batch";
    case LayoutIssue::kInterleave: return "interleaving needs micro-batches % pp == 0";
    case LayoutIssue::kCpSeq: return "cp does not divide the sequence";
    case LayoutIssue::kEp: return "ep does not divide experts or dp*cp";
    case LayoutIssue::kSp: return "sequence parallelism needs tp > 1";
    case LayoutIssue::kDtype: return "dtype not supported by the GPU";
    case LayoutIssue::kTpSpansNodes: return "tp spans beyond the fast network domain";
    case LayoutIssue::kOutOfMemory: return "out of memory";
  }
  return "?";
}

const char* ToString(Schedule s) { return s == Schedule::kGPipe ? "gpipe" : "1f1b"; }

std::string Describe(const ParallelConfig& p) {
  std::string s = "dp=" + S(p.dp) + " tp=" + S(p.tp) + " pp=" + S(p.pp);
  if (p.cp > 1) s += " cp=" + S(p.cp);
  if (p.ep > 1) s += " ep=" + S(p.ep);
  if (p.vpp > 1) s += " vpp=" + S(p.vpp);
  s += " mb=" + S(p.micro_batch) + " zero=" + S(p.zero) + " rc=" + ToString(p.recompute);
  if (p.sp) s += " sp";
  return s;
}

}  // namespace planner
