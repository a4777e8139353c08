// DeepSeek-V4's hybrid attention: keys per query against a position-by-position count, and the
// layer classes of a compress-ratio list.
#include "planner/core/sparse_attention.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace planner {
namespace {

ModelSpec Csa(int64_t window, int64_t topk) {
  ModelSpec s;
  s.n_layers = 4;
  s.seq_len = 4096;
  s.csa.sliding_window = window;
  s.csa.compress_ratios = {0, 4, 128, 4};
  s.csa.index_topk = topk;
  return s;
}

// Position i (0-based) of a causal sequence sees min(i + 1, W) window keys and, in a layer of
// ratio m, the (i + 1) / m compressed blocks complete at i: all of them, or top-k of them.
double CountedKeys(int64_t T, int64_t W, int64_t m, int64_t topk) {
  double sum = 0;
  for (int64_t i = 0; i < T; ++i) {
    sum += std::min(i + 1, W);
    if (m > 0) sum += topk > 0 ? std::min((i + 1) / m, topk) : (i + 1) / m;
  }
  return sum / T;
}

TEST(SparseAttentionTest, KeysPerQueryMatchAPositionByPositionCount) {
  const ModelSpec s = Csa(128, 512);
  EXPECT_NEAR(CsaKeysPerQuery(s, 0, 4096), CountedKeys(4096, 128, 0, 0), 1e-9);
  // Megatron-Core's k (1 - m k / 2T) and T / 2m round the block staircase: within a key.
  EXPECT_NEAR(CsaKeysPerQuery(s, 4, 4096), CountedKeys(4096, 128, 4, 512), 1.0);
  EXPECT_NEAR(CsaKeysPerQuery(s, 128, 4096), CountedKeys(4096, 128, 128, 0), 1.0);
}

TEST(SparseAttentionTest, TopKLargerThanTheBlocksAttendsToAll) {
  // T / m = 1024 blocks < top-k 2048: every block, as the ratio-128 layers do.
  const ModelSpec s = Csa(128, 2048);
  EXPECT_NEAR(CsaKeysPerQuery(s, 4, 4096), CountedKeys(4096, 128, 4, 0), 1.0);
}

TEST(SparseAttentionTest, LayersByRatio) {
  const ModelSpec s = Csa(128, 512);
  const CsaLayerCounts n = CountCsaLayers(s, 0, 4);
  EXPECT_EQ(n.window_only, 1);
  EXPECT_EQ(n.indexed, 2);  // the smallest ratio, 4, with an indexer
  EXPECT_EQ(n.compressed, 1);
  EXPECT_EQ(CountCsaLayers(Csa(128, 0), 0, 4).compressed, 3);  // no indexer: every ratio is HCA
}

}  // namespace
}  // namespace planner
