// fp8 and fp4 (NVFP4) layers: their GEMMs at the low-precision peak times the fitted fraction,
// the casts around them, and the quantized GEMM inputs a stack keeps for backward. Each expected
// figure is derived in the test from the cluster and the formulas in layer_cost.cc / memory.cc.
#include <gtest/gtest.h>

#include "model_fixtures.h"
#include "planner/core/memory.h"
#include "planner/core/step_time.h"

namespace planner {
namespace {

// A Blackwell-like part: fp8 twice the 16-bit peak, fp4 four times; a GEMM efficiency curve that
// is flat at gemm_max (F_half of one FLOP), so that a GEMM's rate is peak x gemm_max x fraction.
ClusterSpec LowPrecisionGpu() {
  ClusterSpec c = testing::H100Nodes(1);
  c.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 2500;
  c.gpu.peak_tflops[static_cast<int>(Dtype::kFp8)] = 5000;
  c.gpu.peak_tflops[static_cast<int>(Dtype::kFp4)] = 10000;
  c.gpu.hbm_GBps = 8000;
  c.efficiency.gemm_max = 0.6;
  c.efficiency.gemm_half_flops = 1;
  c.efficiency.fp8_gemm_fraction = 0.9;
  c.efficiency.fp4_gemm_fraction = 0.5;
  return c;
}

ParallelConfig OneGpu(Dtype dtype) {
  ParallelConfig p;
  p.micro_batch = 8;
  p.global_batch = 8;
  p.dtype = dtype;
  return p;
}

double LinearSeconds(const ModelSpec& m, const ClusterSpec& c, Dtype dtype) {
  return ComputeLayerCost(m, c, OneGpu(dtype), StepTimeOptions{}).linear_fwd_s;
}

TEST(LowPrecisionTest, Fp4GemmsRunAtTheFp4PeakTimesItsFraction) {
  // 8 x 2048 tokens by 8192 wide: every linear is compute-bound at these rates (its FLOPs per
  // byte moved far above 10000 TFLOP/s / 8 TB/s).
  const ModelSpec m = testing::GptShape(2, 8192, 64, 32000, 2048);
  const ClusterSpec c = LowPrecisionGpu();
  // Same FLOPs; rate 5000 x 0.6 x 0.9 = 2700 TFLOP/s in fp8, 10000 x 0.6 x 0.5 = 3000 in fp4.
  EXPECT_NEAR(LinearSeconds(m, c, Dtype::kFp8) / LinearSeconds(m, c, Dtype::kFp4), 3000.0 / 2700,
              1e-6);
  // And 2500 x 0.6 = 1500 in bf16.
  EXPECT_NEAR(LinearSeconds(m, c, Dtype::kBf16) / LinearSeconds(m, c, Dtype::kFp4), 3000.0 / 1500,
              1e-6);
}

// Delayed scaling casts each linear's input (read 2 bytes, write q + q transposed) in forward;
// fp8 writes q = 1, NVFP4 q = 0.5 + 1/16: 4 against 3.125 bytes per input element. Dynamic
// scaling reads once more for the amax and writes once (4 + q) in forward, inputs and weights
// alike: 5 against 4.5625.
TEST(LowPrecisionTest, CastsWriteNvfp4sPackedBytes) {
  const ModelSpec m = testing::GptShape(2, 4096, 32, 32000, 2048);
  const ClusterSpec c = LowPrecisionGpu();
  for (const auto& [scaling, ratio] :
       {std::pair{Fp8Scaling::kDelayed, 4 / 3.125}, std::pair{Fp8Scaling::kDynamic, 5 / 4.5625}}) {
    StepTimeOptions o;
    o.fp8_scaling = scaling;
    auto casts = [&](Dtype dtype) {
      return ComputeLayerCost(m, c, OneGpu(dtype), o).elementwise_fwd_s -
             ComputeLayerCost(m, c, OneGpu(Dtype::kBf16), o).elementwise_fwd_s;
    };
    EXPECT_NEAR(casts(Dtype::kFp8) / casts(Dtype::kFp4), ratio, 1e-9);
  }
}

// A stack that keeps its GEMM inputs quantized for the weight gradient (Transformer Engine) saves
// 2 - 1 bytes per element of them in fp8 and 2 - 0.5625 in fp4; nothing else in a layer's stored
// activations depends on the dtype.
TEST(LowPrecisionTest, KeptGemmInputsShrinkToTheirQuantizedBytes) {
  const ModelSpec m = testing::GptShape(2, 4096, 32, 32000, 2048);
  MemoryOptions o;
  o.fp8_saves_gemm_inputs = true;
  auto bytes = [&](Dtype dtype) { return LayerActivationBytes(m, OneGpu(dtype), o); };
  const double bf16 = bytes(Dtype::kBf16);
  EXPECT_NEAR((bf16 - bytes(Dtype::kFp8)) / (bf16 - bytes(Dtype::kFp4)), 1 / 1.4375, 1e-9);
  o.fp8_saves_gemm_inputs = false;
  EXPECT_EQ(bytes(Dtype::kFp4), bytes(Dtype::kBf16));
}

// MFU is quoted against the 16-bit peak for fp8 and fp4 runs alike, as the sources quote it.
TEST(LowPrecisionTest, MfuOfAnFp4RunIsAgainstTheSixteenBitPeak) {
  const ModelSpec m = testing::GptShape(2, 4096, 32, 32000, 2048);
  const ClusterSpec c = LowPrecisionGpu();
  const StepTime t = EstimateStepTime(m, c, OneGpu(Dtype::kFp4), StepTimeOptions{});
  EXPECT_NEAR(t.mfu, t.model_flops / (t.step_time_s * 2500e12), 1e-12);
}

}  // namespace
}  // namespace planner
