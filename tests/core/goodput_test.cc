// Goodput, checkpoint interval, bands and energy. Every expected number is derived by hand in the
// comment above it or comes from a published run (Llama 3 405B, BLOOM).
#include "planner/core/goodput.h"

#include <gtest/gtest.h>

#include <cmath>

#include "planner/core/cluster_spec.h"
#include "planner/core/energy.h"

namespace planner {
namespace {

void ExpectRelative(double actual, double expected, double rel) {
  EXPECT_NEAR(actual, expected, std::abs(expected) * rel) << "expected " << expected;
}

TEST(GoodputTest, YoungAndDalyIntervalsByHand) {
  // delta = 60 s, M = 3 h = 10,800 s. Young: sqrt(2 x 60 x 10,800) = sqrt(1,296,000) = 1,138.42 s.
  EXPECT_NEAR(YoungInterval(60, 10800), 1138.42, 0.01);
  // Daly: x = delta / 2M = 60 / 21,600 = 0.0027778, sqrt(x) = 0.052705;
  // 1,138.42 x (1 + 0.052705 / 3 + 0.0027778 / 9) = 1,138.42 x 1.0178767 = 1,158.77; - 60 =
  // 1,098.77.
  EXPECT_NEAR(DalyInterval(60, 10800), 1098.77, 0.01);
  // delta >= 2M: checkpoint once per MTBF.
  EXPECT_DOUBLE_EQ(DalyInterval(30000, 10800), 10800);
}

TEST(GoodputTest, DalyWallTimeByHand) {
  // T_s = 10 h = 36,000 s, tau = 1,000 s, delta = 100 s, R = 500 s, M = 10,000 s:
  // M e^(R/M) (e^((tau+delta)/M) - 1) T_s / tau = 10,000 x e^0.05 x (e^0.11 - 1) x 36
  // = 10,000 x 1.0512711 x 0.1162781 x 36 = 44,006.3 s.
  EXPECT_NEAR(DalyWallTime(36000, 1000, 100, 500, 10000), 44006.3, 0.05);
  // No failures: only the checkpoints, 36 x 100 s.
  EXPECT_DOUBLE_EQ(DalyWallTime(36000, 1000, 100, 500, INFINITY), 39600);
}

// Llama 3 405B (Dubey et al. 2024, sec. 3.3.4): 16,384 H100, a 54-day snapshot, 419 unexpected
// interruptions, "higher than 90% effective training time". Stated assumptions where the paper
// gives no figure: the checkpoint is 405e9 x (2 + 12) bytes = 5.67 TB (bf16 weights, fp32 master
// and Adam state), written and read at Tectonic's sustained 2 TB/s (sec. 3.3.1) = 2.835 s;
// failures are noticed after PyTorch's 10-minute NCCL timeout and relaunched in 5 minutes.
TEST(GoodputTest, ReproducesLlama3EffectiveTrainingTime) {
  GoodputInputs in;
  in.gpus = 16384;
  in.nodes = 2048;
  in.checkpoint_bytes = CheckpointBytes(405e9);
  in.compute_hours = 1000;  // goodput does not depend on it
  const Goodput g = ComputeGoodput(in);
  // The rate: 419 / (54 d x 24 h) = 0.3233 per hour, MTBF 3.093 h.
  EXPECT_NEAR(g.mtbf_h, 54.0 * 24 / 419, 1e-9);
  EXPECT_NEAR(g.checkpoint_write_s, 2.835, 1e-9);
  EXPECT_NEAR(g.restart_s, 600 + 300 + 2.835, 1e-9);
  // Reported: about 90% (" higher than 90%"); the issue asks for 3 percentage points.
  EXPECT_GT(g.goodput, 0.87);
  EXPECT_LT(g.goodput, 0.93);
  // Run for the 54 days of wall time, the job sees 419 interruptions: T_w / M = 54 x 24 / 3.093.
  GoodputInputs window = in;
  window.compute_hours = 54 * 24 * g.goodput;
  EXPECT_NEAR(ComputeGoodput(window).interruptions, 419, 0.5);
}

TEST(GoodputTest, WallTimeIsComputeCheckpointsRestartsAndLostWork) {
  GoodputInputs in;
  in.gpus = 1024;
  in.nodes = 128;
  in.checkpoint_bytes = 1e12;
  in.compute_hours = 500;
  in.storage.write_GBps = 100;  // delta = 10 s
  const Goodput g = ComputeGoodput(in);
  EXPECT_DOUBLE_EQ(g.checkpoint_write_s, 10);
  ExpectRelative(g.wall_hours,
                 in.compute_hours + g.checkpoint_hours + g.restart_hours + g.lost_hours, 1e-12);
  // Expected lost work per interruption lies between 0 and a full interval plus a write.
  const double lost_per_failure_s = g.lost_hours * 3600 / g.interruptions;
  EXPECT_GT(lost_per_failure_s, 0);
  EXPECT_LT(lost_per_failure_s, g.interval_s + g.checkpoint_write_s);
  // Checkpoints: T_s / tau of delta each.
  ExpectRelative(g.checkpoint_hours, 500 * 3600 / g.interval_s * 10 / 3600, 1e-12);
}

TEST(GoodputTest, NoFailuresNoLoss) {
  GoodputInputs in;
  in.gpus = 8;
  in.nodes = 1;
  in.checkpoint_bytes = 1e11;
  in.compute_hours = 100;
  in.reliability.interruptions_per_gpu_hour = 0;
  const Goodput g = ComputeGoodput(in);
  EXPECT_DOUBLE_EQ(g.goodput, 1);
  EXPECT_DOUBLE_EQ(g.wall_hours, 100);
  EXPECT_DOUBLE_EQ(g.interruptions, 0);
}

TEST(GoodputTest, SpotPreemptionsAddToTheFailureRate) {
  // 128 nodes x 2.7e-4 preemptions per node-hour (AWS's >20%/month bucket) = 0.03456 per hour
  // on top of 1,024 GPUs x 1e-5 = 0.01024: 0.0448 per hour.
  GoodputInputs in;
  in.gpus = 1024;
  in.nodes = 128;
  in.reliability.interruptions_per_gpu_hour = 1e-5;
  in.preemptions_per_node_hour = 2.7e-4;
  in.compute_hours = 10;
  EXPECT_NEAR(ComputeGoodput(in).interruptions_per_hour, 0.0448, 1e-12);
}

TEST(GoodputTest, CheckpointBytesFollowTheMemoryModel) {
  EXPECT_DOUBLE_EQ(CheckpointBytes(405e9), 405e9 * 14);
  // As the stack keeps the states: FSDP's fp32 shards and Adam m, v under ZeRO-3 (4 + 8 bytes);
  // Muon's one moment for the layers (4 bytes less for each of their 400e9 parameters).
  MemoryOptions fsdp;
  fsdp.zero3_weight_bytes = 4;
  fsdp.zero3_optimizer_bytes = 8;
  EXPECT_DOUBLE_EQ(CheckpointBytes(405e9, fsdp, 3), 405e9 * 12);
  MemoryOptions muon;
  muon.muon_moment_bytes = 4;
  EXPECT_DOUBLE_EQ(CheckpointBytes(405e9, muon, 1, 400e9), 405e9 * 14 - 400e9 * 4);
  MemoryBreakdown mem;
  mem.weights = 8e9;
  mem.optimizer = 48e9;
  // No ZeRO, dp 4 x cp 2: both are replicated 8 times, each copy writes an eighth: 1 + 6 GB.
  EXPECT_DOUBLE_EQ(CheckpointBytesPerGpu(mem, 4, 2, 0), 7e9);
  // ZeRO-1: the optimizer is already sharded: 1 + 48 GB.
  EXPECT_DOUBLE_EQ(CheckpointBytesPerGpu(mem, 4, 2, 1), 49e9);
  // ZeRO-3: both sharded.
  EXPECT_DOUBLE_EQ(CheckpointBytesPerGpu(mem, 4, 2, 3), 56e9);
}

TEST(GoodputTest, QuantileInterpolatesBetweenOrderStatistics) {
  std::vector<double> v = {5, 1, 4, 2, 3};
  // Sorted 1..5; p = 0.1 sits at position 0.4: 1 + 0.4 x (2 - 1) = 1.4.
  EXPECT_DOUBLE_EQ(Quantile(&v, 0.1), 1.4);
  EXPECT_DOUBLE_EQ(Quantile(&v, 0.9), 4.6);
}

TEST(GoodputTest, BandsAreReproducibleAndCollapseWithoutUncertainty) {
  GoodputInputs in;
  in.gpus = 4096;
  in.nodes = 512;
  in.checkpoint_bytes = 1e12;
  in.compute_hours = 1000;
  const Goodput g = ComputeGoodput(in);
  const ErrorBand step{0.9, 1.2, 10, "test"};
  const RunBands a = ComputeBands(in, g, step, 2.0);
  const RunBands b = ComputeBands(in, g, step, 2.0);
  EXPECT_EQ(a.days.p10, b.days.p10);
  EXPECT_EQ(a.cost_usd.p90, b.cost_usd.p90);
  EXPECT_LT(a.days.p10, g.wall_hours / 24);
  EXPECT_GT(a.days.p90, g.wall_hours / 24);
  // Dollars = wall hours x GPUs x price.
  ExpectRelative(a.cost_usd.p90, a.wall_hours.p90 * 4096 * 2.0, 1e-12);
  // No step-time or rate uncertainty: every sample is the nominal run.
  GoodputInputs fixed = in;
  fixed.reliability.rate_p10_factor = 1;
  fixed.reliability.rate_p90_factor = 1;
  const RunBands c = ComputeBands(fixed, g, ErrorBand{}, 2.0);
  ExpectRelative(c.days.p10, g.wall_hours / 24, 1e-12);
  ExpectRelative(c.days.p90, g.wall_hours / 24, 1e-12);
}

// BLOOM-176B (Luccioni et al. 2022, "Estimating the carbon footprint of BLOOM", Table 2):
// 1,082,990 A100 GPU-hours at the 400 W TDP = 433,196 kWh of dynamic power; at Jean Zay's
// 57 gCO2e/kWh, 24.69 tCO2e. Reproduced with the GPUs at TDP (u = 1), no host overhead, PUE 1.
TEST(EnergyTest, ReproducesBloomDynamicEnergyAndCarbon) {
  PowerSpec p;
  p.node_overhead_fraction = 0;
  p.pue = 1;
  p.grid_kg_per_kWh = 0.057;
  const Energy e = EstimateEnergy(400, 384, 1.0, 1'082'990.0 / 384, 366e9, p);
  EXPECT_NEAR(e.mwh, 433.196, 1e-3);
  EXPECT_NEAR(e.tco2e, 24.69, 0.01);
  // J/token: 433,196 kWh x 3.6e6 J/kWh = 1.5595e12 J / 366e9 tokens (BLOOM's 366B) = 4.261 J.
  EXPECT_NEAR(e.joules_per_token, 4.261, 0.001);
}

TEST(EnergyTest, UtilisationOverheadAndPueByHand) {
  // 8 GPUs of 700 W at u = 0.5 with 15% idle: 700 x (0.15 + 0.85 x 0.5) = 402.5 W; host 0.5 x 700
  // = 350 W; 8 x 752.5 W = 6.02 kW IT; x PUE 1.2 = 7.224 kW; 10 h = 72.24 kWh; at $0.10/kWh $7.224;
  // at 0.4 kg/kWh, 28.896 kg.
  PowerSpec p;
  p.usd_per_kWh = 0.10;
  p.grid_kg_per_kWh = 0.4;
  const Energy e = EstimateEnergy(700, 8, 0.5, 10, 1e9, p);
  EXPECT_DOUBLE_EQ(e.gpu_W, 402.5);
  EXPECT_NEAR(e.it_kW, 6.02, 1e-12);
  EXPECT_NEAR(e.mwh, 0.07224, 1e-12);
  EXPECT_NEAR(e.electricity_usd, 7.224, 1e-9);
  EXPECT_NEAR(e.tco2e, 0.028896, 1e-12);
  EXPECT_DOUBLE_EQ(GpuUtilisation(0.3, 0.6), 0.5);
  EXPECT_DOUBLE_EQ(GpuUtilisation(0.7, 0.6), 1.0);
  EXPECT_DOUBLE_EQ(EstimateEnergy(0, 8, 0.5, 10, 1e9, p).mwh, 0);  // no TDP, no estimate
}

ClusterSpec ValidCluster() {
  ClusterSpec c;
  c.gpu.hbm_GiB = 80;
  c.gpu.hbm_GBps = 3350;
  c.gpu.peak_tflops[static_cast<int>(Dtype::kBf16)] = 989.5;
  c.gpus_per_node = 8;
  c.nodes = 1;
  c.network = {{"nvlink", 0, 450, 3}};
  c.price_per_gpu_hour_usd = 4;
  return c;
}

TEST(OperationsTest, ValidationNamesTheKey) {
  EXPECT_FALSE(Validate(ValidCluster()));
  ClusterSpec c = ValidCluster();
  c.power.pue = 0.9;
  EXPECT_EQ(Validate(c)->key, "power.pue");
  c = ValidCluster();
  c.reliability.interruptions_per_gpu_hour = -1e-5;
  EXPECT_EQ(Validate(c)->key, "reliability.interruptions_per_gpu_hour");
  c = ValidCluster();
  c.storage.write_GBps = 0;
  EXPECT_EQ(Validate(c)->key, "storage.write_GBps");
  c = ValidCluster();
  c.pricing = {{"spot", 2, 2.7e-4}, {"spot", 1, 0}};
  EXPECT_EQ(Validate(c)->key, "pricing[1].class");
  c.pricing = {{"spot", 2, -1}};
  EXPECT_EQ(Validate(c)->key, "pricing[0].preemptions_per_node_hour");
}

}  // namespace
}  // namespace planner
