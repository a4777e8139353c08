// The published measured runs (tests/data/runs.yaml) against the step-time and memory models with
// the shipped cluster presets, which carry the efficiency terms `planner validate --fit` fitted:
//   * MAPE of step time over every run whose layout is stated <= 10%;
//   * each of Korthikanti et al. 2022's eight Table 5 runs within 10% (Calculon, the best open
//     peer, reports 3.65% average and 8.87% worst on them);
//   * torchtitan's measured memory (max reserved) within 10%;
//   * leave-one-source-out (fit on the other sources of a GPU generation, predict the held-out
//     one) printed, and bounded loosely: <= 12% over all runs, <= 15% for any one source.
// Also: how each record is read (shapes, layouts, each source's FLOP accounting turned into a step
// time), and that a malformed record is an error at its file:line:col.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "planner/core/memory.h"
#include "planner/core/params.h"
#include "planner/core/units.h"
#include "planner/io/input_error.h"
#include "planner/io/runs_io.h"

namespace planner {
namespace {

const std::string kRuns = std::string(PLANNER_TEST_DATA_DIR) + "/runs.yaml";

const std::vector<ValidationRun>& Runs() {
  static const std::vector<ValidationRun> runs = ReadValidationRuns(kRuns);
  return runs;
}

const ValidationRun& Find(const std::string& id) {
  for (const ValidationRun& v : Runs()) {
    if (v.run.id == id) return v;
  }
  ADD_FAILURE() << "no run " << id;
  return Runs().front();
}

double Error(const ValidationRun& v) {
  return PredictStepTime(v.run, v.run.cluster.efficiency) / v.run.measured_step_time_s - 1;
}

std::vector<MeasuredRun> Generation(const std::string& name) {
  std::vector<MeasuredRun> out;
  for (const ValidationRun& v : Runs()) {
    if (!v.skipped() && v.run.generation == name) out.push_back(v.run);
  }
  return out;
}

TEST(ValidationRunsTest, ReadsEveryRecordAndSkipsThoseWithoutALayout) {
  ASSERT_EQ(Runs().size(), 28u);
  int skipped = 0;
  for (const ValidationRun& v : Runs()) {
    if (!v.skipped()) continue;
    ++skipped;
    EXPECT_NE(v.run.id.find("2240gpu"), std::string::npos) << v.run.id;
    EXPECT_NE(v.skip_reason.find("not stated"), std::string::npos);
  }
  EXPECT_EQ(skipped, 2);
}

TEST(ValidationRunsTest, ShapesCountTheStatedParameters) {
  // Exact where the source counts exactly (MPT yamls, Llama 3.1 8B); Narayanan's Table 1 rounds
  // to 0.1B (1.652B prints as 1.7B).
  for (const ValidationRun& v : Runs()) {
    if (!v.total_params) continue;
    const double counted = static_cast<double>(CountParams(v.run.model).total);
    if (v.run.source == "llmfoundry" || v.run.source == "torchtitan") {
      EXPECT_EQ(CountParams(v.run.model).total, *v.total_params) << v.run.id;
    } else {
      EXPECT_NEAR(counted, static_cast<double>(*v.total_params), 0.05e9) << v.run.id;
    }
  }
}

TEST(ValidationRunsTest, LayoutsAndSoftwareFactsAreTheRecords) {
  const ValidationRun& n = Find("narayanan2021_table1_145B");
  EXPECT_EQ(n.run.layout.tp, 8);
  EXPECT_EQ(n.run.layout.pp, 8);
  EXPECT_EQ(n.run.layout.vpp, 2);
  EXPECT_EQ(n.run.layout.dp, 24);
  EXPECT_EQ(n.run.layout.grad_accum(), 48);
  EXPECT_EQ(n.run.layout.recompute, Recompute::kFull);
  EXPECT_EQ(n.run.layout.dtype, Dtype::kFp16);
  EXPECT_EQ(n.run.cluster.total_gpus(), 1536);
  EXPECT_FALSE(n.run.options.memory.flash_attention);
  EXPECT_TRUE(n.run.options.memory.dropout);
  EXPECT_FALSE(n.run.options.overlap_dp);                                 // DDP "local"
  EXPECT_TRUE(Find("narayanan2021_table1_1.7B").run.options.overlap_dp);  // torch DDP
  const ValidationRun& k = Find("korthikanti2022_175B_seqpar_selective");
  EXPECT_TRUE(k.run.layout.sp);
  EXPECT_EQ(k.run.layout.recompute, Recompute::kSelective);
  EXPECT_TRUE(k.run.options.overlap_tp_backward);
  const ValidationRun& t = Find("torchtitan_8B_t1_fsdp_compile_fp8");
  EXPECT_EQ(t.run.layout.micro_batch, 2);
  EXPECT_EQ(t.run.layout.zero, 3);
  EXPECT_EQ(t.run.layout.dtype, Dtype::kFp8);
  EXPECT_EQ(t.run.options.memory.kernels, Kernels::kCompiled);
  EXPECT_EQ(t.run.options.memory.selective, SelectivePolicy::kEveryOtherMatmul);
  EXPECT_EQ(t.cluster_preset, "dgx-h100");
  EXPECT_NE(t.hardware_note.find("500 W"), std::string::npos) << t.hardware_note;
  EXPECT_EQ(Find("torchtitan_8B_t1_fsdp").run.options.memory.kernels, Kernels::kEager);
  EXPECT_EQ(Find("llmfoundry_h100_80gb_1b_seq2048_128gpu").run.layout.zero, 2);
  EXPECT_EQ(Find("nemo2407_fp8_h100_LLAMA2-7B").run.generation, "H100");
  EXPECT_EQ(n.run.generation, "A100");
}

TEST(ValidationRunsTest, MeasuredStepTimesFollowEachSourcesAccounting) {
  // Against the records' own `derived` arithmetic (rounded there to 3-4 digits).
  const std::map<std::string, double> derived = {
      {"narayanan2021_table1_1.7B", 3.53},  // F_eq3 / (137 TFLOP/s x 32)
      {"narayanan2021_table1_1T", 102.63},
      {"korthikanti2022_530B_seqpar_selective", 37.83},   // stated
      {"llmfoundry_h100_80gb_30b_seq2048_128gpu", 7.45},  // 1024 x 2048 / 281,491 tokens/s
      {"torchtitan_8B_t1_fsdp", 2.84},                    // 16 x 8192 / (5,762 x 8)
      {"nemo2407_fp8_h100_LLAMA2-7B", 3.87}};
  for (const auto& [id, seconds] : derived) {
    EXPECT_NEAR(Find(id).run.measured_step_time_s / seconds, 1.0, 0.002) << id;
  }
  // And the metric round-trips through the source's accounting.
  const ValidationRun& n = Find("narayanan2021_table1_310B");
  EXPECT_NEAR(MetricFromStepTime(n, n.run.measured_step_time_s), 155.0, 1e-9);
  EXPECT_EQ(n.accounting, Accounting::kMegatron);
}

TEST(ValidationRunsTest, StepTimeMapeAtMostTenPercentWithTheShippedPresets) {
  std::vector<double> errors;
  std::map<std::string, std::vector<double>> by_source;
  for (const ValidationRun& v : Runs()) {
    if (v.skipped()) continue;
    errors.push_back(Error(v));
    by_source[v.run.source].push_back(errors.back());
    std::printf("  %-42s %+6.1f%%\n", v.run.id.c_str(), 100 * errors.back());
  }
  ASSERT_EQ(errors.size(), 26u);
  for (const auto& [source, e] : by_source) {
    std::printf("  source %-16s MAPE %5.2f%%\n", source.c_str(), 100 * Mape(e));
  }
  std::printf("  all public runs          MAPE %5.2f%%\n", 100 * Mape(errors));
  EXPECT_LE(Mape(errors), 0.10);
}

TEST(ValidationRunsTest, EachKorthikantiTable5RunWithinTenPercent) {
  std::vector<double> errors;
  for (const ValidationRun& v : Runs()) {
    if (v.skipped() || v.run.source != "korthikanti2022") continue;
    errors.push_back(Error(v));
    EXPECT_LE(std::abs(errors.back()), 0.10) << v.run.id;
  }
  ASSERT_EQ(errors.size(), 8u);
  double worst = 0;
  for (double e : errors) worst = std::max(worst, std::abs(e));
  std::printf("  Korthikanti Table 5: average %.2f%%, worst %.2f%% (Calculon: 3.65%%, 8.87%%)\n",
              100 * Mape(errors), 100 * worst);
}

TEST(ValidationRunsTest, TorchtitanMemoryWithinTenPercent) {
  int checked = 0;
  for (const ValidationRun& v : Runs()) {
    if (!v.measured_memory_GiB) continue;
    const MemoryBreakdown m =
        EstimateMemory(v.run.model, v.run.cluster, v.run.layout, v.run.options.memory);
    const double predicted = BytesToGiB(ReservedBytes(m));
    std::printf("  %-36s memory %.1f GiB predicted, %.1f measured\n", v.run.id.c_str(), predicted,
                *v.measured_memory_GiB);
    EXPECT_NEAR(predicted / *v.measured_memory_GiB, 1.0, 0.10) << v.run.id;
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

TEST(ValidationRunsTest, LeaveOneSourceOutIsPrintedAndLooselyBounded) {
  // Held out, a source is predicted with efficiency terms fitted on the other sources of its GPU
  // generation only. Bound: <= 12% MAPE over all held-out runs, <= 15% for any single source
  // (vendor pages drift ~5% between revisions; software stacks differ by more).
  std::vector<double> all;
  for (const std::string gen : {"A100", "H100"}) {
    for (const HeldOutSource& h : LeaveOneSourceOut(Generation(gen), EfficiencySpec{})) {
      std::printf("  %s held out %-16s (%d runs): MAPE %5.2f%% (fit on the rest: %.2f%%)\n",
                  gen.c_str(), h.source.c_str(), h.runs, 100 * h.mape, 100 * h.fit.mape);
      EXPECT_LE(h.mape, 0.15) << h.source;
      all.insert(all.end(), h.errors.begin(), h.errors.end());
    }
  }
  std::printf("  leave-one-source-out MAPE over %zu runs: %.2f%%\n", all.size(), 100 * Mape(all));
  EXPECT_EQ(all.size(), 26u);
  EXPECT_LE(Mape(all), 0.12);
}

TEST(ValidationRunsTest, PresetsCarryTheFit) {
  // Refitting from the library defaults lands where the presets are (to their 4 printed digits),
  // so `planner validate` without --fit reproduces the in-sample error.
  for (const std::string gen : {"A100", "H100"}) {
    const std::vector<MeasuredRun> runs = Generation(gen);
    const FitResult fit = FitEfficiency(runs, EfficiencySpec{});
    const EfficiencySpec& preset = runs.front().cluster.efficiency;
    EXPECT_NEAR(fit.efficiency.gemm_max, preset.gemm_max, 1e-3) << gen;
    EXPECT_NEAR(fit.efficiency.collective_bw_fraction, preset.collective_bw_fraction, 1e-3) << gen;
    EXPECT_NEAR(fit.efficiency.hbm_fraction, preset.hbm_fraction, 1e-3) << gen;
    EXPECT_NEAR(std::log(fit.efficiency.gemm_half_flops / preset.gemm_half_flops), 0, 1e-3) << gen;
  }
}

TEST(ValidationRunsTest, MalformedRecordIsAnErrorAtItsLine) {
  const std::string path = ::testing::TempDir() + "runs_bad.yaml";
  std::ifstream in(kRuns);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = text.find("    n_layers: 24");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 16, "    n_layer: 24");
  std::ofstream(path) << text;
  try {
    ReadValidationRuns(path);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path + ":"), std::string::npos) << what;
    EXPECT_NE(what.find("unknown key 'model.n_layer'"), std::string::npos) << what;
    EXPECT_NE(what.find("did you mean 'n_layers'"), std::string::npos) << what;
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace planner
