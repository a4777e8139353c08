// Tests of the alpha-beta and GEMM-efficiency fits on synthetic data generated here from known
// parameters, so every expectation is derived in the test.
#include "planner/core/calibrate.h"

#include <gtest/gtest.h>

#include <cmath>

namespace planner::calib {
namespace {

// t = alpha + bus_bytes / busbw for sizes 8 B .. 128 MiB (doubling), exactly.
std::vector<CommSample> ExactSamples(Collective c, int nranks, double alpha_s, double busbw_Bps,
                                     const std::string& level = "") {
  std::vector<CommSample> samples;
  for (double bytes = 8; bytes <= 128.0 * 1024 * 1024; bytes *= 2) {
    samples.push_back(
        {c, nranks, bytes, alpha_s + bytes * BusFactor(c, nranks) / busbw_Bps, level});
  }
  return samples;
}

TEST(BusFactorTest, MatchesNcclTestsDefinitions) {
  // nccl-tests: all-reduce moves 2(n-1)/n of the buffer per rank; RS, AG, A2A (n-1)/n; others 1.
  for (int n : {1, 2, 3, 4, 8, 64}) {
    const double ring = static_cast<double>(n - 1) / n;
    EXPECT_DOUBLE_EQ(BusFactor(Collective::kAllReduce, n), 2 * ring);
    EXPECT_DOUBLE_EQ(BusFactor(Collective::kReduceScatter, n), ring);
    EXPECT_DOUBLE_EQ(BusFactor(Collective::kAllGather, n), ring);
    EXPECT_DOUBLE_EQ(BusFactor(Collective::kAllToAll, n), ring);
    EXPECT_DOUBLE_EQ(BusFactor(Collective::kBroadcast, n), 1.0);
    EXPECT_DOUBLE_EQ(BusFactor(Collective::kReduce, n), 1.0);
    EXPECT_DOUBLE_EQ(BusFactor(Collective::kSendRecv, n), 1.0);
  }
}

TEST(CollectiveNameTest, RoundTripsCommbenchNames) {
  for (const char* name : {"all_reduce", "reduce_scatter", "all_gather", "broadcast", "reduce",
                           "all_to_all", "sendrecv"}) {
    const auto c = ParseCollective(name);
    ASSERT_TRUE(c.has_value()) << name;
    EXPECT_STREQ(ToString(*c), name);
  }
  EXPECT_FALSE(ParseCollective("allreduce").has_value());
}

TEST(FitAlphaBetaTest, RecoversExactParameters) {
  const auto fit = FitAlphaBeta(ExactSamples(Collective::kAllReduce, 4, 5e-6, 20e9));
  ASSERT_TRUE(fit.has_value());
  EXPECT_NEAR(fit->alpha_us(), 5.0, 1e-6);
  EXPECT_NEAR(fit->busbw_GBps(), 20.0, 1e-6);
  EXPECT_LT(fit->quality.heldout_mape, 1e-9);
  EXPECT_FALSE(fit->alpha_clamped);
  EXPECT_FALSE(fit->beta_clamped);
}

TEST(FitAlphaBetaTest, BetaIsInverseBusBandwidthForEveryCollective) {
  // The same link (10 us, 50 GB/s bus bandwidth) seen through each collective's bus factor.
  for (Collective c : {Collective::kAllReduce, Collective::kReduceScatter, Collective::kAllGather,
                       Collective::kBroadcast, Collective::kReduce, Collective::kAllToAll,
                       Collective::kSendRecv}) {
    const auto fit = FitAlphaBeta(ExactSamples(c, 8, 10e-6, 50e9));
    ASSERT_TRUE(fit.has_value()) << ToString(c);
    EXPECT_NEAR(fit->alpha_us(), 10.0, 1e-6) << ToString(c);
    EXPECT_NEAR(fit->busbw_GBps(), 50.0, 1e-6) << ToString(c);
    EXPECT_NEAR(PredictSeconds(*fit, 1e6), 10e-6 + 1e6 * BusFactor(c, 8) / 50e9, 1e-15);
  }
}

TEST(FitAlphaBetaTest, HoldsOutAlternateSizes) {
  const auto samples = ExactSamples(Collective::kAllGather, 2, 1e-6, 1e9);  // 25 sizes
  const auto fit = FitAlphaBeta(samples);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->quality.n_train, 13u);
  EXPECT_EQ(fit->quality.n_heldout, 12u);
  ASSERT_EQ(fit->quality.points.size(), samples.size());
  EXPECT_FALSE(fit->quality.points[0].held_out);
  EXPECT_TRUE(fit->quality.points[1].held_out);
  // Repeated sizes (out-of-place and in-place rows) stay together on one side of the split.
  auto doubled = samples;
  doubled.insert(doubled.end(), samples.begin(), samples.end());
  const auto both = FitAlphaBeta(doubled);
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(both->quality.n_train, 26u);
  EXPECT_EQ(both->quality.n_heldout, 24u);
  for (size_t i = 0; i + 1 < both->quality.points.size(); i += 2) {
    EXPECT_EQ(both->quality.points[i].held_out, both->quality.points[i + 1].held_out);
  }
  const auto all = FitAlphaBeta(samples, {.hold_out_alternate = false});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->quality.n_heldout, 0u);
}

TEST(FitAlphaBetaTest, NoisyDataPredictsHeldOutSizes) {
  // +-4% deterministic multiplicative noise: held-out error stays near the noise level.
  auto samples = ExactSamples(Collective::kAllReduce, 4, 20e-6, 5e9);
  for (size_t i = 0; i < samples.size(); ++i) samples[i].time_s *= 1.0 + 0.04 * std::sin(7.0 * i);
  const auto fit = FitAlphaBeta(samples);
  ASSERT_TRUE(fit.has_value());
  EXPECT_LT(fit->quality.heldout_mape, 0.06);
  EXPECT_NEAR(fit->alpha_us(), 20.0, 2.0);
  EXPECT_NEAR(fit->busbw_GBps(), 5.0, 0.3);
}

TEST(FitAlphaBetaTest, RelativeWeightingKeepsTheLatencyTerm) {
  // Plain least squares is dominated by the largest sizes; relative weighting is not.
  auto samples = ExactSamples(Collective::kBroadcast, 2, 3e-6, 10e9);
  samples.back().time_s *= 1.02;  // 2% off at the largest size only
  const auto relative = FitAlphaBeta(samples, {.weighting = Weighting::kRelative});
  const auto absolute = FitAlphaBeta(samples, {.weighting = Weighting::kAbsolute});
  ASSERT_TRUE(relative && absolute);
  EXPECT_NEAR(relative->alpha_us(), 3.0, 0.1);
  EXPECT_GT(std::fabs(absolute->alpha_us() - 3.0), 1.0);  // here: clamped to 0
}

TEST(FitAlphaBetaTest, ClampsNegativeLatencyToZero) {
  // Time proportional to size minus a constant would give a negative intercept.
  std::vector<CommSample> samples;
  for (double bytes : {1e3, 1e4, 1e5, 1e6}) {
    samples.push_back({Collective::kSendRecv, 2, bytes, bytes / 1e9 - 5e-7, ""});
  }
  const auto fit = FitAlphaBeta(samples, {.hold_out_alternate = false});
  ASSERT_TRUE(fit.has_value());
  EXPECT_TRUE(fit->alpha_clamped);
  EXPECT_EQ(fit->alpha_s, 0.0);
  EXPECT_GT(fit->beta_s_per_byte, 0.0);
}

TEST(FitAlphaBetaTest, ClampsNegativeSlopeToZero) {
  std::vector<CommSample> samples;
  for (double bytes : {1e3, 1e4, 1e5}) {
    samples.push_back({Collective::kSendRecv, 2, bytes, 1e-5 - bytes * 1e-11, ""});
  }
  const auto fit = FitAlphaBeta(samples, {.hold_out_alternate = false});
  ASSERT_TRUE(fit.has_value());
  EXPECT_TRUE(fit->beta_clamped);
  EXPECT_EQ(fit->beta_s_per_byte, 0.0);
  EXPECT_GT(fit->alpha_s, 0.0);
}

TEST(FitAlphaBetaTest, RejectsTooLittleData) {
  EXPECT_FALSE(FitAlphaBeta({}).has_value());
  // Sizes of 0 bytes (RS/AG/A2A below nranks elements) and one usable size: nothing to fit.
  const std::vector<CommSample> one = {{Collective::kAllGather, 4, 0.0, 1e-6, ""},
                                       {Collective::kAllGather, 4, 64.0, 2e-6, ""},
                                       {Collective::kAllGather, 4, 64.0, 2e-6, ""}};
  EXPECT_FALSE(FitAlphaBeta(one, {.hold_out_alternate = false}).has_value());
  // One rank: the bus factor of all-reduce is 0, no link is used.
  EXPECT_FALSE(FitAlphaBeta(ExactSamples(Collective::kAllReduce, 1, 1e-6, 1e9)).has_value());
}

TEST(FitAllAlphaBetaTest, FitsEachCollectiveLevelAndRankCount) {
  std::vector<CommSample> samples = ExactSamples(Collective::kAllReduce, 8, 5e-6, 100e9, "nvlink");
  for (const auto& s : ExactSamples(Collective::kAllReduce, 8, 20e-6, 10e9, "ib")) {
    samples.push_back(s);
  }
  for (const auto& s : ExactSamples(Collective::kAllGather, 4, 7e-6, 40e9, "nvlink")) {
    samples.push_back(s);
  }
  const auto fits = FitAllAlphaBeta(samples);
  ASSERT_EQ(fits.size(), 3u);
  EXPECT_EQ(fits[0].level, "nvlink");
  EXPECT_NEAR(fits[0].busbw_GBps(), 100.0, 1e-6);
  EXPECT_EQ(fits[1].level, "ib");
  EXPECT_NEAR(fits[1].alpha_us(), 20.0, 1e-6);
  EXPECT_EQ(fits[2].collective, Collective::kAllGather);
  EXPECT_EQ(fits[2].nranks, 4);
  EXPECT_NEAR(fits[2].alpha_us(), 7.0, 1e-6);
}

// Times from eff(F) = eff_max F / (F + F_half): t = F / (peak eff).
std::vector<GemmSample> GemmSamples(double peak, double eff_max, double flops_half) {
  std::vector<GemmSample> samples;
  for (double d = 32; d <= 16384; d *= 2) {
    const double flops = 2.0 * d * d * d;
    const double eff = eff_max * flops / (flops + flops_half);
    samples.push_back({d, d, d, flops / (peak * eff)});
  }
  return samples;
}

TEST(FitGemmEfficiencyTest, RecoversSaturatingCurve) {
  const double peak = 989e12;
  const auto fit = FitGemmEfficiency(GemmSamples(peak, 0.75, 2e10), peak);
  ASSERT_TRUE(fit.has_value());
  EXPECT_NEAR(fit->eff_max, 0.75, 1e-9);
  EXPECT_NEAR(fit->flops_half / 2e10, 1.0, 1e-9);
  // The implied per-call overhead: F_half / (eff_max peak).
  EXPECT_NEAR(fit->overhead_s, 2e10 / (0.75 * peak), 1e-15);
  EXPECT_NEAR(PredictEfficiency(*fit, 2e10), 0.375, 1e-9);
  EXPECT_LT(fit->quality.heldout_mape, 1e-9);
}

TEST(FitGemmEfficiencyTest, RejectsBadInput) {
  EXPECT_FALSE(FitGemmEfficiency(GemmSamples(1e12, 0.5, 1e9), 0.0).has_value());
  EXPECT_FALSE(FitGemmEfficiency({}, 1e12).has_value());
  // Time that falls as work grows has no positive rate.
  const std::vector<GemmSample> falling = {
      {10, 10, 10, 3e-3}, {100, 100, 100, 2e-3}, {1000, 1000, 1000, 1e-3}};
  EXPECT_FALSE(FitGemmEfficiency(falling, 1e12, {.hold_out_alternate = false}).has_value());
}

}  // namespace
}  // namespace planner::calib

namespace planner::calib {
namespace {

// Two regimes, as an eager/rendezvous switch makes: 2 us + 1 GB/s up to 4 KiB, then
// 20 us + 10 GB/s.
std::vector<CommSample> TwoRegimeSamples() {
  std::vector<CommSample> samples;
  for (double bytes = 8; bytes <= 64.0 * 1024 * 1024; bytes *= 2) {
    const double bus = bytes * BusFactor(Collective::kAllGather, 4);
    const double t = bytes <= 4096 ? 2e-6 + bus / 1e9 : 20e-6 + bus / 10e9;
    samples.push_back({Collective::kAllGather, 4, bytes, t, ""});
  }
  return samples;
}

TEST(FitAlphaBetaSegmentsTest, FindsEachRegime) {
  const auto fit = FitAlphaBeta(TwoRegimeSamples(), {.max_segments = 2});
  ASSERT_TRUE(fit.has_value());
  ASSERT_EQ(fit->segments.size(), 2u);
  EXPECT_NEAR(fit->segments[0].alpha_s, 2e-6, 1e-12);
  EXPECT_NEAR(1.0 / fit->segments[0].beta_s_per_byte, 1e9, 1e3);
  // The boundary falls between the last fitted size of one regime and the first of the next.
  EXPECT_GE(fit->segments[0].max_bytes, 4096.0);
  EXPECT_LT(fit->segments[0].max_bytes, 16384.0);
  EXPECT_NEAR(fit->alpha_us(), 20.0, 1e-6);  // the top regime's
  EXPECT_NEAR(fit->busbw_GBps(), 10.0, 1e-6);
  EXPECT_NEAR(PredictSeconds(*fit, 1024), 2e-6 + 1024 * 0.75 / 1e9, 1e-15);
}

TEST(FitAlphaBetaSegmentsTest, OneLineCannotFollowTwoRegimes) {
  const auto one = FitAlphaBeta(TwoRegimeSamples(), {.max_segments = 1});
  const auto two = FitAlphaBeta(TwoRegimeSamples(), {.max_segments = 2});
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->segments.size(), 1u);
  EXPECT_GT(one->quality.heldout_mape, 0.2);
  // Held-out sizes between the regimes' fitted sizes may land on the wrong side of the boundary;
  // all the others are exact.
  EXPECT_LT(two->quality.heldout_mape, 0.05);
}

TEST(FitAlphaBetaSegmentsTest, NeverMoreRegimesThanPairsOfSizes) {
  std::vector<CommSample> samples;
  for (double bytes : {1e3, 2e3, 4e3, 8e3, 16e3}) {
    samples.push_back({Collective::kSendRecv, 2, bytes, 1e-6 + bytes / 1e9, ""});
  }
  const auto fit = FitAlphaBeta(samples, {.hold_out_alternate = false, .max_segments = 8});
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->segments.size(), 2u);  // 5 sizes: at most 2 regimes of >= 2 sizes
}

// The limits of FitLimits: 50 % held-out MAPE, bus bandwidth within 5 % to 150 % of the level's
// datasheet figure (A100 NVLink: 300 GB/s per GPU and direction).
TEST(FindFitProblemTest, AcceptsAHealthyLinkAndRefusesNonsense) {
  const auto fit_at = [](double busbw_GBps) {
    auto fit = FitAlphaBeta(ExactSamples(Collective::kAllReduce, 8, 10e-6, busbw_GBps * 1e9,
                                         "nvlink"));
    EXPECT_TRUE(fit.has_value());
    return *fit;
  };
  // nccl-tests on DGX A100: all_reduce busbw about 230 GB/s, 77 % of 300.
  EXPECT_FALSE(FindFitProblem(fit_at(230), 0.03, 300).has_value());
  EXPECT_FALSE(FindFitProblem(fit_at(15.01), 0.03, 300).has_value());  // 5.003 %
  EXPECT_FALSE(FindFitProblem(fit_at(449.9), 0.03, 300).has_value());  // 149.97 %
  // The case: a CPU run written as NVLink, 0.115 GB/s = 0.0383 % of 300.
  const auto slow = FindFitProblem(fit_at(0.115), 0.03, 300);
  ASSERT_TRUE(slow.has_value());
  EXPECT_NE(slow->find("all_reduce on nvlink, 8 ranks: fitted bus bandwidth 0.115 GB/s is "
                       "0.0383% of the level's datasheet 300 GB/s (plausible: 5% to 150%)"),
            std::string::npos)
      << *slow;
  const auto fast = FindFitProblem(fit_at(600), 0.03, 300);  // 200 %
  ASSERT_TRUE(fast.has_value());
  EXPECT_NE(fast->find("is 200% of"), std::string::npos) << *fast;
  // 1919.8 % held out (the run): refused whatever the bandwidth.
  const auto noisy = FindFitProblem(fit_at(230), 19.198, 300);
  ASSERT_TRUE(noisy.has_value());
  EXPECT_NE(noisy->find("held-out error 1919.8% exceeds the 50% limit"), std::string::npos)
      << *noisy;
  EXPECT_FALSE(FindFitProblem(fit_at(230), 0.50, 300).has_value());  // at the limit
  // Nothing to compare with: no held-out sizes, no datasheet figure.
  EXPECT_FALSE(FindFitProblem(fit_at(0.115), std::nullopt, 0).has_value());
}

}  // namespace
}  // namespace planner::calib
