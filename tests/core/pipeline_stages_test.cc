// Uneven pipeline stages against hand derivations: the published splits of BLOOM 176B (70 layers
// as 5 + 6x10 + 5 on 12 stages, bigscience tr11-176B-ml README) and Llama 3 405B (126 layers as
// 7 + 8x14 + 7 on 16 stages, Llama 3 paper sec. 3.3.2), Megatron-Core's rule for a first or last
// count given alone, the layouts that do not split and why, the stage that paces the step (its
// layers x the per-layer cost, plus the LM head on the last), the memory of the first stage
// against a fuller middle one, and the search trying the uneven splits.
#include "planner/core/pipeline_stages.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "model_fixtures.h"
#include "planner/core/memory.h"
#include "planner/core/params.h"
#include "planner/core/search.h"
#include "planner/core/step_time.h"

namespace planner {
namespace {

ParallelConfig Stages(int64_t pp, int64_t first, int64_t last, int64_t vpp = 1) {
  ParallelConfig p;
  p.pp = pp;
  p.first_stage_layers = first;
  p.last_stage_layers = last;
  p.vpp = vpp;
  return p;
}

int64_t SumOfStages(const StageLayout& s) {
  int64_t sum = 0;
  for (int64_t i = 0; i < s.pp; ++i) sum += s.layers(i);
  return sum;
}

TEST(StageLayersTest, BloomSplitsSeventyLayersOverTwelveStages) {
  const StageLayout s = StageLayers(70, Stages(12, 5, 5));
  ASSERT_TRUE(s.ok);
  // 70 - 5 - 5 = 60 layers over the 10 middle stages: 6 each.
  EXPECT_EQ(s.first, 5);
  EXPECT_EQ(s.middle, 6);
  EXPECT_EQ(s.last, 5);
  EXPECT_EQ(s.layers(0), 5);
  EXPECT_EQ(s.layers(1), 6);
  EXPECT_EQ(s.layers(10), 6);
  EXPECT_EQ(s.layers(11), 5);
  EXPECT_EQ(SumOfStages(s), 70);
  EXPECT_FALSE(s.even());
  EXPECT_EQ(s.max_layers(), 6);
  EXPECT_EQ(StagesText(s), "5+6x10+5");
  // 12 does not divide 70: the even split does not exist.
  EXPECT_FALSE(StageLayers(70, Stages(12, 0, 0)).ok);
}

TEST(StageLayersTest, Llama405bSplits126LayersOverSixteenStages) {
  const StageLayout s = StageLayers(126, Stages(16, 7, 7));
  ASSERT_TRUE(s.ok);
  // 126 - 7 - 7 = 112 over 14 middle stages: 8 each, one layer more than the first and last.
  EXPECT_EQ(s.middle, 8);
  EXPECT_EQ(SumOfStages(s), 126);
  EXPECT_EQ(StagesText(s), "7+8x14+7");
  // pp 8: 126 - 15 - 15 = 96 over 6: 16.
  const StageLayout s8 = StageLayers(126, Stages(8, 15, 15));
  ASSERT_TRUE(s8.ok);
  EXPECT_EQ(s8.middle, 16);
  EXPECT_EQ(StagesText(s8), "15+16x6+15");
}

TEST(StageLayersTest, OneStatedCountLeavesTheRestToTheOtherStages) {
  // Megatron-Core: --decoder-first-pipeline-num-layers 14 alone on 126 layers, pp 8: the 7 other
  // stages, the last included, split 112: 16 each.
  const StageLayout first = StageLayers(126, Stages(8, 14, 0));
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.middle, 16);
  EXPECT_EQ(first.last, 16);
  EXPECT_EQ(StagesText(first), "14+16x6+16");
  const StageLayout last = StageLayers(126, Stages(8, 0, 14));
  ASSERT_TRUE(last.ok);
  EXPECT_EQ(last.first, 16);
  EXPECT_EQ(StagesText(last), "16+16x6+14");
  // pp 2 has no middle stage: the stated count and the rest.
  const StageLayout two = StageLayers(70, Stages(2, 30, 0));
  ASSERT_TRUE(two.ok);
  EXPECT_EQ(two.last, 40);
  EXPECT_EQ(StagesText(two), "30+40");
  EXPECT_TRUE(StageLayers(70, Stages(2, 30, 40)).ok);
  // An even split stated explicitly is even.
  const StageLayout even = StageLayers(96, Stages(8, 12, 12));
  ASSERT_TRUE(even.ok);
  EXPECT_TRUE(even.even());
  EXPECT_EQ(StagesText(even), "");
}

TEST(StageLayersTest, SplitsThatDoNotAddUpAreRejected) {
  // 70 - 5 - 6 = 59 left for 10 stages.
  EXPECT_FALSE(StageLayers(70, Stages(12, 5, 6)).ok);
  // 70 - 60 - 5 = 5 left for 10 stages: some stage would hold no layer.
  EXPECT_FALSE(StageLayers(70, Stages(12, 60, 5)).ok);
  // pp 2 with both stated: nothing may be left over.
  EXPECT_FALSE(StageLayers(70, Stages(2, 30, 30)).ok);
  // One stage holds everything; a stated count there is an error, not ignored.
  EXPECT_FALSE(StageLayers(70, Stages(1, 70, 0)).ok);
  EXPECT_FALSE(StageLayers(70, Stages(12, -1, 5)).ok);
}

TEST(StageLayersTest, InterleavingNeedsVppToDivideEveryStage) {
  // 6 + 8x14 + 8 = 126: vpp 2 divides 6 and 8; vpp 4 divides neither 6 nor 6 + 1.
  EXPECT_TRUE(StageLayers(126, Stages(16, 6, 8, 2)).ok);
  EXPECT_FALSE(StageLayers(126, Stages(16, 6, 8, 4)).ok);
  // The first and last stage may be one layer short of vpp chunks, the embedding and the loss
  // counted as layers (Megatron-Core's --account-for-embedding/loss-in-pipeline-split): Llama 3.1
  // 405B as 15 + 16x6 + 15 on pp 8 with vpp 8 is 16 + 16x6 + 16 slots, 2 per chunk.
  EXPECT_TRUE(StageLayers(126, Stages(8, 15, 15, 8)).ok);
  EXPECT_TRUE(StageLayers(126, Stages(8, 15, 15, 4)).ok);
  // vpp 3 divides 15 but not the middle stages' 16.
  EXPECT_FALSE(StageLayers(126, Stages(8, 15, 15, 3)).ok);
  // BLOOM's 5 + 6x10 + 5: vpp 2 and 3 divide 6 and 5 + 1; vpp 4 divides neither 5 nor 6.
  EXPECT_TRUE(StageLayers(70, Stages(12, 5, 5, 2)).ok);
  EXPECT_TRUE(StageLayers(70, Stages(12, 5, 5, 3)).ok);
  EXPECT_FALSE(StageLayers(70, Stages(12, 5, 5, 4)).ok);
  // A middle stage gets no such slack: 8 + 7x2 + 8 = 30 on pp 4 with vpp 2 (7 is odd).
  EXPECT_FALSE(StageLayers(30, Stages(4, 8, 8, 2)).ok);
  // Nor does an even split: 96 on 8 stages of 12, vpp 5.
  EXPECT_FALSE(StageLayers(96, Stages(8, 0, 0, 5)).ok);
}

TEST(StageLayersTest, UnevenChunksNeedOneLayerPerChunk) {
  // A pipeline layout (Megatron-Core's --pipeline-model-parallel-layout) lets a stage's chunks
  // differ in size: DeepSeek-V3's 61 layers as 15 + 16x2 + 14 on pp 4 with vpp 4 (the last
  // stage's 14 + the loss do not make 4 equal chunks) split once chunks may be unequal.
  ParallelConfig p = Stages(4, 15, 14, 4);
  EXPECT_FALSE(StageLayers(61, p).ok);
  p.uneven_chunks = true;
  EXPECT_TRUE(StageLayers(61, p).ok);
  // Every chunk still needs a layer (on an end stage the embedding or loss may be it): 96 on 8
  // stages of 12 with vpp 5 now splits, with vpp 13 it cannot, 12 + 1 only on an end stage.
  ParallelConfig even = Stages(8, 0, 0, 5);
  even.uneven_chunks = true;
  EXPECT_TRUE(StageLayers(96, even).ok);
  even.vpp = 13;
  EXPECT_FALSE(StageLayers(96, even).ok);
  // Two stages have no middle stage to need a layer per chunk: DeepSeek-V3's 61 layers on pp 2
  // with vpp 8 (Megatron-Bridge's 26.04 GB300 recipe) as 31 + 30, whose chunks take 31 + the
  // embedding and 30 + the loss: at least one layer each of 8.
  ParallelConfig two = Stages(2, 31, 30, 8);
  EXPECT_FALSE(StageLayers(61, two).ok);  // 32 and 31 do not make 8 equal chunks
  two.uneven_chunks = true;
  EXPECT_TRUE(StageLayers(61, two).ok);
  two.vpp = 32;  // 31 + 1 layers for 32 chunks on the first stage; 30 + 1 for 32 on the last: no
  EXPECT_FALSE(StageLayers(61, two).ok);
}

TEST(UnevenSplitsTest, CeilAndFloorMiddleStages) {
  using Splits = std::vector<std::pair<int64_t, int64_t>>;
  // 70 / 12 = 5.83. Middle 6: 70 - 60 = 10 left, 5 + 5. Middle 5: 20 left, 10 + 10, more than a
  // middle stage plus one: not tried.
  EXPECT_EQ(UnevenSplits(70, 12), (Splits{{5, 5}}));
  // 126 / 16 = 7.875: middle 8, 14 left, 7 + 7 (Llama 3). Middle 7: 28 left, 14 + 14: no.
  EXPECT_EQ(UnevenSplits(126, 16), (Splits{{7, 7}}));
  // 126 / 8: middle 16, 30 left, 15 + 15. Middle 15: 36 left, 18 + 18 > 16: no.
  EXPECT_EQ(UnevenSplits(126, 8), (Splits{{15, 15}}));
  // 71 / 12: middle 6, 11 left: 6 + 5 or 5 + 6. Middle 5: 21 left: no.
  EXPECT_EQ(UnevenSplits(71, 12), (Splits{{6, 5}, {5, 6}}));
  // 10 / 4: middle 3, 4 left: 2 + 2; middle 2, 6 left: 3 + 3 (a middle stage's count).
  EXPECT_EQ(UnevenSplits(10, 4), (Splits{{2, 2}, {3, 3}}));
  // pp 2 on 9 layers: 5 + 4 either way round.
  EXPECT_EQ(UnevenSplits(9, 2), (Splits{{5, 4}, {4, 5}}));
  // An even split, or nothing that splits: only the even one (which the layout check rejects).
  EXPECT_EQ(UnevenSplits(96, 8), (Splits{{0, 0}}));
  EXPECT_EQ(UnevenSplits(96, 64), (Splits{{0, 0}}));
  // Every split tried does split.
  for (auto [l, pp] : {std::pair<int64_t, int64_t>{70, 12}, {126, 16}, {71, 12}, {10, 4}, {9, 2}}) {
    for (auto [first, last] : UnevenSplits(l, pp)) {
      EXPECT_TRUE(StageLayers(l, Stages(pp, first, last)).ok) << l << " " << pp;
    }
  }
}

// The splits Megatron-Bridge gives DeepSeek-V3 (61 layers, one MTP module on the last stage; its
// recipe's layout map): 4+4x14+1 on 16 stages, 8+8x6+5 on 8, 16+16+16+13 on 4, and the GB300
// preset's 32+29 on 2: each a last stage 3 layers lighter than the ceil split's middle stages, the
// first taking the rest. The search tries them beside UnevenSplits' own.
TEST(UnevenSplitsTest, MtpLightensTheLastStageAsMegatronBridgeLaysOutDeepSeekV3) {
  using Split = std::pair<int64_t, int64_t>;
  const std::vector<std::pair<int64_t, Split>> bridge = {
      {16, {4, 1}}, {8, {8, 5}}, {4, {16, 13}}, {2, {32, 29}}};
  for (const auto& [pp, split] : bridge) {
    const auto searched = SearchedSplits(61, pp, 1);
    EXPECT_NE(std::find(searched.begin(), searched.end(), split), searched.end()) << pp;
    // UnevenSplits' splits come first, in their order; without MTP nothing is added.
    const auto plain = UnevenSplits(61, pp);
    EXPECT_TRUE(std::equal(plain.begin(), plain.end(), searched.begin())) << pp;
    EXPECT_EQ(SearchedSplits(61, pp, 0), plain) << pp;
    for (const auto& [first, last] : searched)
      EXPECT_TRUE(StageLayers(61, Stages(pp, first, last)).ok) << pp << " " << first << "+" << last;
  }
  // An even split gains the one lighter last stage whose first stays within a middle plus one:
  // 64 on 8 stages, middle 8: 9+8x6+7 (10+8x6+6 would put two more on the first).
  EXPECT_EQ(SearchedSplits(64, 8, 1), (std::vector<Split>{{0, 0}, {9, 7}}));
}

TEST(SlowestStageTest, LayersTimesCostPlusTheHeadOnTheLast) {
  const StageLayout s = StageLayers(70, Stages(12, 5, 5));
  // A head cheaper than a layer: the middle stage (6 layers) paces.
  PacedStage paced = SlowestStage(s, 1.0, 0, 0.5);
  EXPECT_EQ(paced.stage, 1);
  EXPECT_EQ(paced.layers, 6);
  EXPECT_FALSE(paced.last);
  // A head dearer than a layer: the last stage (5 + 1.5 > 6).
  paced = SlowestStage(s, 1.0, 0, 1.5);
  EXPECT_EQ(paced.stage, 11);
  EXPECT_EQ(paced.layers, 5);
  EXPECT_TRUE(paced.last);
  // A tie goes to the last stage; an extra on the first can make it the slowest.
  EXPECT_EQ(SlowestStage(s, 1.0, 0, 1.0).stage, 11);
  EXPECT_EQ(SlowestStage(s, 1.0, 2.0, 0).stage, 0);
  // One stage: first and last at once.
  const PacedStage one = SlowestStage(StageLayers(70, Stages(1, 0, 0)), 1.0, 0, 0);
  EXPECT_EQ(one.layers, 70);
  EXPECT_TRUE(one.first && one.last);
}

// An 8-GPU-per-node A100-like cluster built in code (the layout check needs the GPU count).
ClusterSpec PipelineCluster(int64_t nodes) {
  ClusterSpec c;
  c.name = "pipeline-test";
  c.gpu.name = "A100";
  c.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 312;
  c.gpu.hbm_GiB = 80;
  c.gpu.hbm_GBps = 2039;
  c.gpus_per_node = 8;
  c.nodes = nodes;
  c.network = {{"nvlink", 8, 300, 3}, {"infiniband", 0, 25, 5}};
  c.price_per_gpu_hour_usd = 1;
  return c;
}

TEST(StageLayoutCheckTest, ErrorsNameTheFieldAndASplitThatWorks) {
  const ModelSpec m = testing::GptShape(70, 4096, 32, 50000, 2048);
  const ClusterSpec c = PipelineCluster(3);  // 24 GPUs: pp 12 x dp 2
  ParallelConfig p = Stages(12, 0, 0);
  p.dp = 2;
  p.global_batch = 24;
  auto e = CheckLayout(m, c, p);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->issue, LayoutIssue::kPpLayers);
  EXPECT_EQ(e->field, LayoutField::kPp);
  // 70 = 5 + 6 x 10 + 5: the first and last stage one layer short for the embedding and head.
  ASSERT_EQ(e->example.size(), 2u);
  EXPECT_EQ(e->example[0].field, LayoutField::kFirstStageLayers);
  EXPECT_EQ(e->example[0].value, 5);
  EXPECT_EQ(e->example[1].field, LayoutField::kLastStageLayers);
  EXPECT_EQ(e->example[1].value, 5);
  EXPECT_EQ(WithExample(*e, [](LayoutField f) { return std::string(FieldName(f)); }),
            "pp=12 does not divide n_layers (70): give the layer count of the first and/or last "
            "stage, the other stages splitting the rest evenly, e.g. first_stage_layers 5 "
            "last_stage_layers 5 (5+6x10+5)");
  p.first_stage_layers = 5;
  p.last_stage_layers = 6;
  e = CheckLayout(m, c, p);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->field, LayoutField::kFirstStageLayers);
  EXPECT_EQ(e->message,
            "a first stage of 5 and a last stage of 6 layers leave 59 of 70 layers; pp=12 needs "
            "a positive multiple of the other 10 stages");
  p.last_stage_layers = 5;
  EXPECT_FALSE(CheckLayout(m, c, p));
  // vpp 4 divides neither 6 nor 5 + 1, but every stage has 4 layers for 4 unequal chunks: the
  // error names that setting.
  p.vpp = 4;
  e = CheckLayout(m, c, p);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->field, LayoutField::kUnevenChunks);
  EXPECT_EQ(e->message,
            "vpp=4 does not divide the layers of every stage, on the first and last stage with "
            "the embedding or loss counted as a layer (70 layers: 5+6x10+5): chunks of unequal "
            "size (Megatron-Core's pipeline layout) would split them");
  // vpp 7 leaves a middle stage of 6 layers a chunk short even then.
  p.vpp = 7;
  e = CheckLayout(m, c, p);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->field, LayoutField::kVpp);
  EXPECT_EQ(e->message,
            "vpp=7 must divide the layers of every stage, on the first and last stage with the "
            "embedding or loss counted as a layer (70 layers: 5+6x10+5)");
  // One stage with a stated count.
  ParallelConfig one = Stages(1, 10, 0);
  one.dp = 24;
  one.global_batch = 24;
  e = CheckLayout(m, c, one);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->field, LayoutField::kFirstStageLayers);
  EXPECT_EQ(e->message, "a first or last stage layer count needs pp > 1");
}

// tp = cp = ep = 1: no per-layer communication, so a stage's micro-batch costs its layers x the
// layer's forward + backward + recompute, plus the LM head (forward + 2x backward) and the loss on
// the last stage.
struct StageCosts {
  double layer_s, head_s;
};
StageCosts CostsOf(const LayerCost& lc) {
  return {lc.fwd_s() + lc.bwd_s() + lc.recompute_s, 3 * lc.head_fwd_s + lc.loss_s};
}

StepTime UnevenStepTime(const ModelSpec& m, const ParallelConfig& p, LayerCost* lc) {
  const ClusterSpec c = PipelineCluster(p.gpus() / 8);
  *lc = ComputeLayerCost(m, c, p, {});
  return EstimateStepTime(m, c, p);
}

TEST(UnevenStepTimeTest, AMiddleStagePacesWhenTheHeadIsCheap) {
  // 5 + 6x10 + 5 with a 1,000-token vocabulary: the head is a sliver of a layer.
  const ModelSpec m = testing::GptShape(70, 4096, 32, 1000, 2048);
  ParallelConfig p = Stages(12, 5, 5);
  p.dp = 2;
  p.global_batch = 48;
  p.recompute = Recompute::kSelective;
  LayerCost lc;
  const StepTime r = UnevenStepTime(m, p, &lc);
  const StageCosts k = CostsOf(lc);
  ASSERT_LT(5 * k.layer_s + k.head_s, 6 * k.layer_s);  // the derivation's premise
  const MicrobatchTime& t = r.microbatch;
  EXPECT_EQ(t.stage, 1);
  EXPECT_EQ(t.layers, 6);
  EXPECT_NEAR(t.forward, 6 * lc.fwd_s(), 1e-12 * t.forward);
  EXPECT_NEAR(t.backward, 6 * lc.bwd_s(), 1e-12 * t.backward);
  EXPECT_NEAR(t.forward + t.backward + t.recompute, 6 * k.layer_s, 1e-12 * t.forward);
  // The bubble is (p - 1) of that stage's micro-batch time.
  EXPECT_NEAR(r.bubble_s, 11 * t.total(), 1e-12 * r.bubble_s);
}

TEST(UnevenStepTimeTest, TheLastStagePacesWhenTheHeadOutweighsALayer) {
  // BLOOM's shape (d 14336, 112 heads, vocabulary 250,880): the head's V x d = 3.6e9 parameters
  // against a layer's 12 d^2 = 2.5e9, so 5 layers + head outrun 6 layers.
  const ModelSpec m = testing::GptShape(70, 14336, 112, 250880, 2048);
  ParallelConfig p = Stages(12, 5, 5);
  p.dp = 2;
  p.global_batch = 48;
  LayerCost lc;
  const StepTime r = UnevenStepTime(m, p, &lc);
  const StageCosts k = CostsOf(lc);
  ASSERT_GT(5 * k.layer_s + k.head_s, 6 * k.layer_s);
  const MicrobatchTime& t = r.microbatch;
  EXPECT_EQ(t.stage, 11);
  EXPECT_EQ(t.layers, 5);
  EXPECT_NEAR(t.forward + t.backward + t.recompute, 5 * k.layer_s + k.head_s, 1e-12 * t.forward);
  EXPECT_NEAR(r.bubble_s, 11 * t.total(), 1e-12 * r.bubble_s);
}

TEST(UnevenStepTimeTest, AnEvenSplitIsPacedByTheLastStageAsBefore) {
  // 96 layers on 8 stages: 12 each and the head on the last, whatever the head costs.
  const ModelSpec m = testing::GptShape(96, 4096, 32, 1000, 2048);
  ParallelConfig p = Stages(8, 0, 0);
  p.dp = 1;
  p.global_batch = 16;
  LayerCost lc;
  const StepTime r = UnevenStepTime(m, p, &lc);
  const StageCosts k = CostsOf(lc);
  EXPECT_EQ(r.microbatch.stage, 7);
  EXPECT_NEAR(r.microbatch.forward + r.microbatch.backward + r.microbatch.recompute,
              12 * k.layer_s + k.head_s, 1e-12 * r.microbatch.forward);
}

TEST(UnevenStepTimeTest, UnequalChunksPayTheMeanChunkInTheBubble) {
  // Interleaved 1F1B's bubble is pp - 1 passes of one chunk. 96 layers on 8 stages of 12: vpp 4
  // makes chunks of 3, a 1/4 share; vpp 5 with unequal chunks makes 3, 3, 2, 2, 2, priced as the
  // mean chunk, 1/5 of the stage, as the simulator runs them (which chunks pace the warm-up
  // depends on where a layout puts the larger ones; AnalyticAgreementTest holds the two equal).
  const ModelSpec m = testing::GptShape(96, 4096, 32, 1000, 2048);
  ParallelConfig p = Stages(8, 0, 0, 5);
  p.uneven_chunks = true;
  p.dp = 1;
  p.global_batch = 40;
  LayerCost lc;
  const StepTime r = UnevenStepTime(m, p, &lc);
  EXPECT_NEAR(r.bubble_s, 7 * 1.0 / 5 * r.microbatch.total(), 1e-12 * r.bubble_s);
}

TEST(UnevenMemoryTest, InFlightMicrobatchesPerStage) {
  // 1F1B: stage s runs pp - s forwards before its first backward. 7 + 8x14 + 7 on 16 stages with
  // 32 micro-batches: the first holds 16 x 7 = 112 layer-micro-batches, stage 1 15 x 8 = 120, the
  // last 1 x 7.
  const ModelSpec m = testing::GptShape(126, 1024, 8, 1000, 4096);
  ParallelConfig p = Stages(16, 7, 7);
  p.global_batch = 32;
  EXPECT_DOUBLE_EQ(InflightLayerMicrobatches(m, p, 0), 112);
  EXPECT_DOUBLE_EQ(InflightLayerMicrobatches(m, p, 1), 120);
  EXPECT_DOUBLE_EQ(InflightLayerMicrobatches(m, p, 15), 7);
  // GPipe: every stage holds all 32.
  p.schedule = Schedule::kGPipe;
  EXPECT_DOUBLE_EQ(InflightLayerMicrobatches(m, p, 15), 7 * 32);
  // Interleaved, 8 + 10x10 + 8 = 116 on 12 stages, vpp 2: the first stage holds
  // 12 (1 + 11 / (12 x 2)) = 17.5 micro-batches of 8 layers = 140; stage 1, with 11 ahead of its
  // first backward, 11 (1 + 10 / (11 x 2)) = 16 of 10 layers = 160; the last one of 8.
  const ModelSpec m116 = testing::GptShape(116, 1024, 8, 1000, 4096);
  ParallelConfig q = Stages(12, 8, 8, 2);
  q.global_batch = 24;
  EXPECT_DOUBLE_EQ(InflightLayerMicrobatches(m116, q, 0), 140);
  EXPECT_DOUBLE_EQ(InflightLayerMicrobatches(m116, q, 1), 160);
  EXPECT_DOUBLE_EQ(InflightLayerMicrobatches(m116, q, 11), 8);
}

TEST(UnevenMemoryTest, AFullerMiddleStageIsTheMostLoaded) {
  // 7 + 8x14 + 7 with a 1,000-token vocabulary: stage 1 holds more layers than the first (8 x
  // 12.6e6 parameters against 7 x 12.6e6 + 1.0e6 of embedding) and more activations (120 against
  // 112 layer-micro-batches): it is the GPU reported, with 8 layers' weights.
  const ModelSpec m = testing::GptShape(126, 1024, 8, 1000, 4096);
  ParallelConfig p = Stages(16, 7, 7);
  p.global_batch = 32;
  const MemoryBreakdown r = EstimateMemory(m, PipelineCluster(2), p);
  const ParamCount pc = CountParams(m);
  EXPECT_EQ(r.stage, 1);
  EXPECT_DOUBLE_EQ(r.weights, 2.0 * 8 * static_cast<double>(pc.per_layer));
  EXPECT_DOUBLE_EQ(r.inflight_layer_microbatches, 120);
  EXPECT_NEAR(r.activations, 120 * LayerActivationBytes(m, p, {}), 1e-9 * r.activations);
  // The first stage's own parameters: 7 layers and the embedding tables (token and position).
  const StageParams first = ParamsOnStage(SplitParams(m, pc), p, true, false);
  EXPECT_DOUBLE_EQ(first.dense,
                   7.0 * static_cast<double>(pc.per_layer) + 1000.0 * 1024 + 4096.0 * 1024);
}

TEST(UnevenSearchTest, TriesTheUnevenSplitsOfAPipelineThatDoesNotDivide) {
  // 10 layers on 4 GPUs. (tp, pp) pairs: (1,1) (1,2) (1,4) (2,1) (2,2) (4,1). The five with pp
  // 1 or 2 split evenly and try vpp in {1, 2, 5, 10} (divisors of 10). pp 4 does not divide 10
  // and is tried as 2 + 3x2 + 2, with vpp 1 or 3 (3 divides 3 and 2 + 1), and as 3 + 2x2 + 3,
  // with vpp 1 or 2 (2 divides 2 and 3 + 1). Each vpp: micro-batch in {1, 2, 4, 8}, 4 ZeRO
  // stages, 3 recompute modes, SP on/off.
  ModelSpec m = testing::TinyModel();
  m.n_layers = 10;
  ClusterSpec c = PipelineCluster(1);
  c.gpus_per_node = 4;
  c.network = {{"nvlink", 4, 300, 3}};
  SearchSpace space;
  space.global_batch = 8;
  space.allow_cp = false;
  SearchOptions o;
  o.top_k = 100000;
  o.threads = 1;
  const SearchResult r = Search(m, c, space, o);
  EXPECT_EQ(r.configs_total, (5 * 4 + 2 + 2) * 4 * 4 * 3 * 2);
  bool seen[2] = {false, false};
  for (const Plan& plan : r.plans) {
    EXPECT_FALSE(FindLayoutIssue(m, c, plan.layout)) << Describe(plan.layout);
    if (plan.layout.pp != 4) continue;
    const int64_t first = plan.layout.first_stage_layers;
    EXPECT_TRUE(first == 2 || first == 3) << Describe(plan.layout);
    seen[first - 2] = true;
    EXPECT_DOUBLE_EQ(plan.time.step_time_s, EstimateStepTime(m, c, plan.layout).step_time_s);
  }
  EXPECT_TRUE(seen[0] && seen[1]);
}

TEST(DefaultStageSplitTest, TakesOneLayerOffTheEndStagesAsLlama3Did) {
  // Llama 3 405B: 126 layers on 16 stages, one layer fewer on the first and last stage (paper
  // sec. 3.3.2): middle ceil(126 / 16) = 8, the ends share 126 - 14 x 8 = 14.
  ParallelConfig p;
  p.pp = 16;
  EXPECT_EQ(ApplyDefaultStageSplit(126, &p), "7+8x14+7");
  EXPECT_EQ(p.first_stage_layers, 7);
  EXPECT_EQ(p.last_stage_layers, 7);
  EXPECT_TRUE(StageLayers(126, p).ok);
  // An even split, or one the layout states, is left as it is.
  ParallelConfig even;
  even.pp = 8;
  EXPECT_EQ(ApplyDefaultStageSplit(80, &even), "");
  EXPECT_EQ(even.first_stage_layers, 0);
  ParallelConfig stated = p;
  stated.first_stage_layers = 6;
  stated.last_stage_layers = 8;
  EXPECT_EQ(ApplyDefaultStageSplit(126, &stated), "");
  EXPECT_EQ(stated.first_stage_layers, 6);
  // More stages than layers: nothing splits, CheckLayout gets to say why.
  ParallelConfig many;
  many.pp = 8;
  EXPECT_EQ(ApplyDefaultStageSplit(4, &many), "");
  EXPECT_EQ(many.first_stage_layers, 0);
}

}  // namespace
}  // namespace planner
