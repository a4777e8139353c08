#include "planner/core/search.h"

#include <gtest/gtest.h>

#include <numeric>

#include "planner/core/cost_model.h"

#include "model_fixtures.h"

namespace planner {
namespace {

ClusterSpec OneNode(double hbm_GiB) {
  ClusterSpec c;
  c.name = "test";
  c.gpu.name = "gpu";
  c.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 100;
  c.gpu.hbm_GiB = hbm_GiB;
  c.gpu.hbm_GBps = 1000;
  c.gpus_per_node = 8;
  c.nodes = 1;
  c.network = {{"nvlink", 8, 100, 2}};
  c.price_per_gpu_hour_usd = 1;
  return c;
}

TEST(SearchTest, Divisors) {
  EXPECT_EQ(Divisors(12), (std::vector<int64_t>{1, 2, 3, 4, 6, 12}));
  EXPECT_EQ(Divisors(1), (std::vector<int64_t>{1}));
  EXPECT_EQ(Divisors(49), (std::vector<int64_t>{1, 7, 49}));
}

TEST(SearchTest, CountsEveryCombinationOnce) {
  SearchSpace space;
  space.global_batch = 8;
  const SearchResult r = Search(testing::TinyModel(), OneNode(80), space, {});
  // (tp, pp, cp) with tp*pp*cp | 8: exponent triples (a, b, c) with a + b + c <= 3: C(6, 3) = 20.
  // Per triple: ep 1 x vpp {1, 2, 4} x micro-batch {1, 2, 4, 8} x zero 4 x recompute 3 x sp 2.
  EXPECT_EQ(r.configs_total, 20 * 3 * 4 * 4 * 3 * 2);
  const int64_t rejected = std::accumulate(r.rejected.begin(), r.rejected.end(), int64_t{0});
  EXPECT_EQ(rejected + r.configs_feasible, r.configs_total);
  EXPECT_EQ(r.configs_evaluated - r.configs_feasible,
            r.rejected[static_cast<int>(LayoutIssue::kOutOfMemory)]);
}

TEST(SearchTest, BestPlanIsTheFastestFeasibleLayout) {
  SearchSpace space;
  space.global_batch = 8;
  const ModelSpec m = testing::TinyModel();
  const ClusterSpec c = OneNode(80);
  SearchOptions o;
  o.top_k = 3;
  const SearchResult r = Search(m, c, space, o);
  ASSERT_EQ(r.plans.size(), 3u);
  EXPECT_LE(r.plans[0].time.step_time_s, r.plans[1].time.step_time_s);
  // Brute force over the same space with the same cost model.
  CostModel model(m, c);
  double best = 1e300;
  for (int64_t tp : Divisors(8)) {
    for (int64_t pp : Divisors(8 / tp)) {
      for (int64_t cp : Divisors(8 / (tp * pp))) {
        for (int64_t vpp : {1, 2, 4}) {
          for (int64_t mb : {1, 2, 4, 8}) {
            for (int zero = 0; zero < 4; ++zero) {
              for (Recompute rc : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
                for (bool sp : {false, true}) {
                  ParallelConfig p;
                  p.tp = tp, p.pp = pp, p.cp = cp, p.dp = 8 / (tp * pp * cp), p.vpp = vpp;
                  p.micro_batch = mb, p.global_batch = 8, p.zero = zero, p.recompute = rc;
                  p.sp = sp;
                  if (FindLayoutIssue(m, c, p)) continue;
                  if (model.Memory(p).total > UsableHbmBytes(c)) continue;
                  best = std::min(best, model.Time(p).step_time_s);
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_DOUBLE_EQ(r.plans[0].time.step_time_s, best);
}

TEST(SearchTest, ThreadCountDoesNotChangeTheAnswer) {
  SearchSpace space;
  space.global_batch = 16;
  SearchOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const SearchResult a = Search(testing::TinyModel(), OneNode(80), space, one);
  const SearchResult b = Search(testing::TinyModel(), OneNode(80), space, two);
  EXPECT_EQ(a.configs_feasible, b.configs_feasible);
  EXPECT_EQ(a.rejected, b.rejected);
  ASSERT_FALSE(a.plans.empty());
  EXPECT_DOUBLE_EQ(a.plans[0].time.step_time_s, b.plans[0].time.step_time_s);
}

TEST(SearchTest, NothingFitsReportsTheSmallestFootprint) {
  SearchSpace space;
  space.global_batch = 8;
  const SearchResult r = Search(testing::TinyModel(), OneNode(0.01), space, {});  // 10 MiB GPUs
  EXPECT_TRUE(r.plans.empty());
  EXPECT_EQ(r.configs_feasible, 0);
  ASSERT_TRUE(r.least_memory.has_value());
  EXPECT_GT(r.least_memory->memory.total, UsableHbmBytes(OneNode(0.01)));
}

}  // namespace
}  // namespace planner
