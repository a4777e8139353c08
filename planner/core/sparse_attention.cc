#include "planner/core/sparse_attention.h"

#include <algorithm>
#include <cmath>

namespace planner {

Count AttentionPairs(Count t, const WindowSpec& w, bool local, bool causal) {
  if (!local) return causal ? t * (t + 1) / 2 : t * t;
  const Count size = w.size;
  if (w.kind == WindowKind::kChunked) {
    const Count full = t / size, rest = t % size;
    return causal ? full * size * (size + 1) / 2 + rest * (rest + 1) / 2
                  : full * size * size + rest * rest;
  }
  if (!causal) return t * std::min(t, size);
  return t <= size ? t * (t + 1) / 2 : size * (size + 1) / 2 + (t - size) * size;
}

std::map<int64_t, int64_t> CsaLayersByRatio(const ModelSpec& s, int64_t first, int64_t count) {
  std::map<int64_t, int64_t> layers;
  for (int64_t i = first; i < first + count; ++i) ++layers[s.CompressRatio(i)];
  return layers;
}

CsaLayerCounts CountCsaLayers(const ModelSpec& s, int64_t first, int64_t count) {
  CsaLayerCounts n;
  const int64_t indexed = s.csa.indexed_ratio();
  for (const auto& [m, layers] : CsaLayersByRatio(s, first, count)) {
    (m == 0 ? n.window_only : m == indexed ? n.indexed : n.compressed) += layers;
  }
  return n;
}

double CsaKeysPerQuery(const ModelSpec& s, int64_t ratio, double T) {
  // Sliding window over a causal sequence: position i sees min(i + 1, W) keys.
  const WindowSpec window{s.csa.sliding_window, 0, WindowKind::kSliding};
  const Count t = static_cast<Count>(T);
  const double keys = static_cast<double>(AttentionPairs(t, window, true, true)) / T;
  if (ratio == 0) return keys;
  const double m = static_cast<double>(ratio);
  if (ratio == s.csa.indexed_ratio()) {
    const double k = std::min<double>(s.csa.index_topk, std::floor(T / m));
    return keys + k * (1 - m * k / (2 * T));
  }
  return keys + T / (2 * m);
}

double CsaMeanKeysPerQuery(const ModelSpec& s, double T, int64_t first, int64_t count) {
  if (count <= 0) return 0;
  double sum = 0;
  for (int64_t i = first; i < first + count; ++i) sum += CsaKeysPerQuery(s, s.CompressRatio(i), T);
  return sum / static_cast<double>(count);
}

// Megatron-Bridge flop_utils.py at 067f987df (:1073-1166; Megatron-LM dev's training.py
// _dsv4_hybrid_self_attention_flops counts alike): per layer the q, kv and grouped output
// projections; the window W in every layer, top-k k(1 - 4k/2T) more keys in the indexed layers
// and T/m in the others (the s-dependent part scaled by T); the compressors and the indexer's
// projections and scoring (T/4 compressed keys per query, no causal halving). Forward x 3.
double MegatronCoreCsaAttentionPerToken(const ModelSpec& s, double T) {
  const CsaSpec& c = s.csa;
  const double h = s.d_model, H = s.n_heads, D = s.head_dim, W = c.sliding_window;
  const double qr = c.q_lora_rank, ores = c.o_lora_rank, og = c.o_groups;
  const double ih = c.index_n_heads, idim = c.index_head_dim;
  const double proj = qr * (h + H * D + 1) + (h * D + D) + H * D * ores + og * ores * h;
  const int64_t layers = s.n_layers + s.mtp_modules;
  const int64_t indexed = c.indexed_ratio();
  double sum = layers * proj;
  for (int64_t i = 0; i < layers; ++i) {
    const int64_t ratio = s.CompressRatio(i);
    const double m = static_cast<double>(ratio);
    if (ratio == 0) {
      sum += H * W * D * 2;
    } else if (ratio == indexed) {
      const double k = std::min<double>(c.index_topk, std::floor(T / m));
      sum += H * (W + k * (1 - k * m / (2 * T))) * D * 2 + h * 2 * D * 2;
      sum += h * 2 * idim * 2 + qr * ih * idim + h * ih + T * ih * idim / m;
    } else {
      sum += H * W * D * 2 + T * H * D / m + h * D * 2;
    }
  }
  return 6 * sum;
}

}  // namespace planner
