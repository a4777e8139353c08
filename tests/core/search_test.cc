#include "planner/core/search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "model_fixtures.h"
#include "planner/core/cost_model.h"
#include "planner/core/memory.h"
#include "planner/core/stack_spec.h"

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

// plan --tp 2 --max-zero 1 --memory-headroom 10%: only such layouts are enumerated and ranked.
TEST(SearchTest, FixedDegreesZeroCapAndHeadroomConstrainEveryPlan) {
  SearchSpace space;
  space.global_batch = 8;
  space.tp = {2};
  space.zero_stages = {0, 1};
  space.headroom_fraction = 0.10;
  const ClusterSpec c = OneNode(80);
  EXPECT_DOUBLE_EQ(MemoryLimitBytes(c, space), 0.9 * UsableHbmBytes(c));
  SearchOptions o;
  o.top_k = 50;
  const SearchResult r = Search(testing::TinyModel(), c, space, o);
  // tp 2 leaves (pp, cp) with pp*cp | 4: exponent pairs (a, b) with a + b <= 2: 6. Per pair:
  // vpp {1, 2, 4} x micro-batch {1, 2, 4, 8} x zero {0, 1} x recompute 3 x sp 2.
  EXPECT_EQ(r.configs_total, 6 * 3 * 4 * 2 * 3 * 2);
  ASSERT_FALSE(r.plans.empty());
  for (const Plan& p : r.plans) {
    EXPECT_EQ(p.layout.tp, 2);
    EXPECT_LE(p.layout.zero, 1);
    EXPECT_LE(p.memory.total, 0.9 * UsableHbmBytes(c));
  }
  space.headroom_fraction = 0;
  space.headroom_bytes = 4.0 * (1 << 30);
  EXPECT_DOUBLE_EQ(MemoryLimitBytes(c, space), UsableHbmBytes(c) - 4.0 * (1 << 30));
}

TEST(SearchTest, HeadroomTurnsTightLayoutsAway) {
  SearchSpace space;
  space.global_batch = 8;
  const ClusterSpec c = OneNode(80);
  SearchOptions o;
  o.top_k = 100000;
  const SearchResult all = Search(testing::TinyModel(), c, space, o);
  ASSERT_FALSE(all.plans.empty());
  // Keep free all but the smallest footprint (and half a byte, for the rounding of
  // usable - (usable - least)): exactly the layouts at that footprint remain.
  double least = all.plans[0].memory.total;
  for (const Plan& p : all.plans) least = std::min(least, p.memory.total);
  space.headroom_bytes = UsableHbmBytes(c) - least - 0.5;
  const SearchResult tight = Search(testing::TinyModel(), c, space, o);
  int64_t at_least = 0;
  for (const Plan& p : all.plans) at_least += p.memory.total <= least;
  EXPECT_EQ(tight.configs_feasible, at_least);
  EXPECT_LT(tight.configs_feasible, all.configs_feasible);
}

// A layout without pipelining or recompute that does not fit is ranked with the fewest
// offloaded layers that make it fit, on a stack that offloads (Megatron-Core) and a GPU with a
// host link; never on a stack without it.
TEST(SearchTest, OffloadsTheFewestLayersThatFit) {
  ModelSpec m = testing::TinyModel();
  m.n_layers = 16;
  m.seq_len = 4096;
  ClusterSpec c = OneNode(80);
  c.gpu.host_link_GBps = 50;
  c.gpu.host_GiB = 1024;
  ParallelConfig p;
  p.dp = 8;
  p.micro_batch = 4;
  p.global_batch = 32;
  const auto memory = [&](int64_t offload) {
    ParallelConfig q = p;
    q.offload_layers = offload;
    return EstimateMemory(m, c, q).total;
  };
  // Room for all but about 10 layers' activations: 11 offloaded (one stays in transit).
  const double layer = (memory(0) - memory(15)) / 14;
  c.gpu.hbm_GiB = (memory(0) - 10.5 * layer) / (1 << 30);
  const double usable = UsableHbmBytes(c);
  int64_t fewest = 1;
  while (memory(fewest) > usable) ++fewest;
  ASSERT_GT(fewest, 1);
  ASSERT_LT(fewest, 15);
  SearchSpace space;
  space.global_batch = 32;
  space.tp = {1};
  space.pp = {1};
  space.cp = {1};
  space.micro_batch = {4};
  space.zero_stages = {0};
  space.recomputes = {Recompute::kNone};
  SearchOptions o;
  o.top_k = 20;
  o.stack = StackSpec{};
  o.stack->cpu_offload = true;
  SearchResult r = Search(m, c, space, o);
  ASSERT_FALSE(r.plans.empty());
  EXPECT_EQ(r.plans[0].layout.offload_layers, fewest);
  EXPECT_LE(r.plans[0].memory.total, usable);
  // A host that cannot hold those layers' activations: nothing fits either.
  ParallelConfig q = p;
  q.offload_layers = fewest;
  c.gpu.host_GiB = 0.99 * EstimateMemory(m, c, q).host_offload / (1 << 30);
  EXPECT_TRUE(Search(m, c, space, o).plans.empty());
  c.gpu.host_GiB = 1024;
  o.stack->cpu_offload = false;  // FSDP, torchtitan: nothing fits
  r = Search(m, c, space, o);
  EXPECT_TRUE(r.plans.empty());
}

// With room for every feasible layout, collapsing keeps one plan per (step time, memory) class:
// the classes' sizes add up to the feasible count, and each row is the simplest of its class.
TEST(SearchTest, CollapsesEquivalentLayoutsIntoTheSimplest) {
  SearchSpace space;
  space.global_batch = 8;
  const ModelSpec m = testing::TinyModel();
  const ClusterSpec c = OneNode(80);
  SearchOptions every, collapsed;
  every.top_k = collapsed.top_k = 100000;
  collapsed.collapse_equivalent = true;
  const SearchResult a = Search(m, c, space, every);
  const SearchResult b = Search(m, c, space, collapsed);
  ASSERT_EQ(static_cast<int64_t>(a.plans.size()), a.configs_feasible);
  ASSERT_LT(b.plans.size(), a.plans.size());  // TinyModel has ties (cp for dp among them)
  const auto same = [](const Plan& x, const Plan& y) {
    return std::fabs(x.time.step_time_s / y.time.step_time_s - 1) <= 1e-9 &&
           std::fabs(x.memory.total / y.memory.total - 1) <= 1e-9;
  };
  int64_t members = 0;
  for (size_t i = 0; i < b.plans.size(); ++i) {
    const Plan& rep = b.plans[i];
    members += rep.equivalent_layouts;
    int64_t in_class = 0;
    for (const Plan& p : a.plans) {
      if (!same(p, rep)) continue;
      ++in_class;
      EXPECT_FALSE(SimplerLayout(p.layout, rep.layout));
    }
    EXPECT_EQ(in_class, rep.equivalent_layouts);
    if (i > 0) {
      EXPECT_FALSE(same(b.plans[i - 1], rep));
    }
  }
  EXPECT_EQ(members, a.configs_feasible);
  // The best row is the fastest layout, stated as its simplest equivalent.
  EXPECT_DOUBLE_EQ(b.plans[0].time.step_time_s, a.plans[0].time.step_time_s);
}

}  // namespace
}  // namespace planner
