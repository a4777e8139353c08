#include "planner/core/moe_cost.h"

#include <algorithm>
#include <cmath>

#include "planner/core/collectives.h"

namespace planner {

MoeAllToAll MoeAllToAllCost(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                            const StepTimeOptions& o, double tokens, int64_t stride) {
  MoeAllToAll r;
  if (p.ep <= 1 || !m.is_moe() || c.network.empty()) return r;
  const double d = static_cast<double>(m.routed_width());  // LatentMoE: latent-wide tokens
  // Forward: dispatch (fp8 when the stack quantises before the up-projection) and combine (16-bit);
  // backward: the gradients of both, 16-bit.
  const double dispatch_bytes = o.a2a_fp8_dispatch && p.dtype == Dtype::kFp8 ? 1 : 2;
  const double bytes_per_copy = d * (dispatch_bytes + 3 * 2);
  const double copies = tokens * m.moe.top_k * m.moe.load_imbalance;  // routed copies, busiest rank
  const int64_t ep = p.ep;
  const int64_t local = MembersWithinLevel(c, 0, ep, stride);  // group members in one domain
  const int level = SlowestLevel(c, ep, stride);
  if (!o.a2a_node_dedup || level == 0 || local <= 0) {
    // Each copy travels to its expert's GPU; the slowest level crossed paces the all-to-all.
    // (Node-limited routing alone does not cut the bytes: a copy still leaves its node with
    // probability 1 - 1/nodes. Only a dispatcher that de-duplicates per node does.)
    r.seconds = CollectiveSeconds(c, Collective::kAllToAll, ep, stride, copies * d * dispatch_bytes) +
                3 * CollectiveSeconds(c, Collective::kAllToAll, ep, stride, copies * d * 2);
    const double sent = copies * bytes_per_copy;
    r.domain_bytes = sent * static_cast<double>(local - 1) / ep;
    r.scaleout_bytes = level == 0 ? 0 : sent * static_cast<double>(ep - local) / ep;
    if (level == 0) r.domain_bytes = sent * static_cast<double>(ep - 1) / ep;
    return r;
  }
  // One scale-out copy per remote target node, then NVLink forwarding. Node-limited routing picks
  // its nodes by their best experts, so each of them receives a copy; otherwise the top_k experts
  // of a balanced router fall on nodes * (1 - (1 - 1/nodes)^top_k) distinct nodes on average.
  const double nodes = static_cast<double>(ep) / static_cast<double>(local);
  const double targets =
      m.moe.max_nodes_per_token > 0
          ? std::min(static_cast<double>(m.moe.max_nodes_per_token), nodes)
          : nodes * (1 - std::pow(1 - 1 / nodes, static_cast<double>(m.moe.top_k)));
  // The targets are spread over the group's nodes: this token's own node is one of them with
  // probability targets / nodes, and that copy stays inside the domain.
  const double remote_nodes = targets * (nodes - 1) / nodes;
  r.scaleout_bytes = tokens * m.moe.load_imbalance * remote_nodes * bytes_per_copy;
  r.domain_bytes = copies * bytes_per_copy * static_cast<double>(local - 1) / local;
  const double scaleout_s = LevelSeconds(c, level, 4 * (nodes - 1), r.scaleout_bytes);
  const double domain_s = LevelSeconds(c, 0, 4.0 * static_cast<double>(local - 1), r.domain_bytes);
  r.seconds = std::max(scaleout_s, domain_s);  // the two hops are pipelined
  return r;
}

double ExposedAllToAllSeconds(const StepTimeOptions& o, double a2a_s, double compute_s) {
  if (!o.overlap_a2a) return a2a_s;
  const double sm_loss = std::clamp(o.a2a_sm_fraction, 0.0, 0.9) * a2a_s;
  return std::max(sm_loss, a2a_s - compute_s);
}

double DualPipeBubbleSeconds(int64_t pp, double chunk_s, double w_s) {
  return std::max(0.0, (static_cast<double>(pp) / 2 - 1) * (chunk_s - 2 * w_s));
}

}  // namespace planner
