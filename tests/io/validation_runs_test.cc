// The published measured runs (tests/data/runs.yaml) against the step-time and memory models with
// the shipped cluster presets, which carry the efficiency terms `planner validate --fit` fitted:
//   * at least 60 priced records from at least 10 sources; in-sample MAPE <= 10%;
//   * every record prices exactly as `planner explain` would: its stack preset plus the
//     overrides the record states, and nothing else (no per-source settings in the reader);
//   * each of Korthikanti et al. 2022's eight Table 5 runs within 15% (Calculon, the best open
//     peer, reports 3.65% average and 8.87% worst on them; our terms are fitted on 36 A100 runs
//     of five stacks, not on these eight);
//   * torchtitan's measured memory (max reserved): 8B runs within 5%, all within 30%, MAPE 10%;
//   * leave-one-source-out (fit on the other sources of a GPU generation, predict the held-out
//     one) <= 11% over the A100 and H100 records, <= 20% for any source of at least 5 records.
// Also: how each record is read (shapes, layouts, each source's FLOP accounting turned into a step
// time). The reader's rules for what a record leaves unstated or words its own way, and its
// errors, are in runs_reader_rules_test.cc.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "planner/core/memory.h"
#include "planner/core/params.h"
#include "planner/core/step_time.h"
#include "planner/core/units.h"
#include "planner/io/cluster_io.h"
#include "planner/io/input_error.h"
#include "planner/io/runs_io.h"
#include "planner/io/stack_io.h"
#include "validation_runs_fixture.h"

namespace planner {
namespace {

using runs_fixture::Find;
using runs_fixture::kRuns;
using runs_fixture::Runs;

double Error(const ValidationRun& v) {
  return PredictStepTime(v.run, v.run.cluster.efficiency) / v.run.measured_step_time_s - 1;
}

std::vector<MeasuredRun> Generation(const std::string& name) {
  std::vector<MeasuredRun> out;
  for (const ValidationRun& v : Runs()) {
    // MoE records are priced apart and kept out of the fit (ValidationRun::moe).
    if (!v.skipped() && !v.moe && v.run.generation == name) out.push_back(v.run);
  }
  return out;
}

int RecordsInFile() {
  std::ifstream in(kRuns);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.rfind("- id:", 0) == 0 ? 1 : 0;
  return n;
}

TEST(ValidationRunsTest, AtLeastSixtyPricedRecordsFromTenSources) {
  ASSERT_EQ(static_cast<int>(Runs().size()), RecordsInFile());
  std::map<std::string, int> sources;
  int priced = 0;
  for (const ValidationRun& v : Runs()) {
    if (v.skipped()) {
      EXPECT_FALSE(v.skip_reason.empty()) << v.run.id;
      continue;
    }
    ++priced;
    ++sources[v.run.source];
  }
  EXPECT_GE(priced, 60);
  EXPECT_GE(static_cast<int>(sources.size()), 10);
}

// validate and explain share one code path: the record's stack preset, the overrides the record
// states (as `--stack-set`), the cluster preset at the record's GPU count (with its stated power
// limit and scale-out bandwidth, as a cluster file of the user's would state them), the record's
// layout. Anything the reader set per source would break the equality.
TEST(ValidationRunsTest, EveryRecordPricesAsExplainWould) {
  int checked = 0;
  for (const ValidationRun& v : Runs()) {
    if (v.skipped()) continue;
    StackSpec stack = LoadStack(v.stack_name);
    ApplyStackOverrides(v.stack_overrides, "--stack-set", &stack);
    ClusterSpec c = LoadCluster(v.cluster_preset, v.run.cluster.total_gpus());
    for (double& peak : c.gpu.peak_tflops) peak *= v.peak_scale;
    if (v.stated_scaleout_GBps > 0) c.network.back().bw_GBps = v.stated_scaleout_GBps;
    const double explain =
        EstimateStepTime(v.run.model, c, v.run.layout, StackOptions(stack, c)).step_time_s;
    EXPECT_DOUBLE_EQ(explain, PredictStepTime(v.run, v.run.cluster.efficiency)) << v.run.id;
    ++checked;
  }
  EXPECT_GE(checked, 60);
}

TEST(ValidationRunsTest, ReadsEveryRecordAndSkipsThoseWithoutALayout) {
  ASSERT_EQ(static_cast<int>(Runs().size()), RecordsInFile());
  int skipped = 0;
  for (const ValidationRun& v : Runs()) {
    if (!v.skipped()) continue;
    ++skipped;
    // Only what the record does not state: a batch, or experts the runs model block cannot hold;
    // and MoE layouts the model cannot yet express (expert TP folded over TP ranks, Megatron-
    // Bridge's custom pipeline layouts).
    const bool unstated = v.skip_reason.find("not stated") != std::string::npos;
    const bool moe = v.moe || v.skip_reason.find("MoE") != std::string::npos;
    EXPECT_TRUE(unstated || moe) << v.run.id << ": " << v.skip_reason;
  }
  // Korthikanti's abstract states no batch for its 2,240-GPU runs: answered as explain answers a
  // missing --global-batch, 8 micro-batches per stage of 35 on each of the 8 replicas at the
  // stack's one-sequence micro-batch: 8 x 35 x 8 = 2,240 sequences.
  const ValidationRun& unstated = Find("korthikanti2022_530B_2240gpu_full_recompute");
  EXPECT_FALSE(unstated.skipped()) << unstated.skip_reason;
  EXPECT_EQ(unstated.run.layout.global_batch, 2240);
  EXPECT_EQ(unstated.run.layout.micro_batch, 1);
  EXPECT_LE(skipped, 2);
}

TEST(ValidationRunsTest, ShapesCountTheStatedParameters) {
  // Exact where the source counts exactly (MPT yamls, Llama 3.1 8B); Narayanan's Table 1 rounds
  // to 0.1B (1.652B prints as 1.7B).
  for (const ValidationRun& v : Runs()) {
    if (!v.total_params || v.skipped()) continue;  // MoE records count their experts elsewhere
    const double counted = static_cast<double>(CountParams(v.run.model).total);
    if (v.run.id.rfind("llmfoundry_h100_80gb_", 0) == 0 ||
        v.run.id.rfind("torchtitan_8B", 0) == 0) {
      EXPECT_EQ(CountParams(v.run.model).total, *v.total_params) << v.run.id;
    } else {
      // Rounded in the source ("1.7B", "405B"): within 3% (GPT-3's "175B" is 174.6B, Narayanan's
      // 1.7B is 1.65B; sources round their shapes' vocabularies differently).
      EXPECT_NEAR(counted / static_cast<double>(*v.total_params), 1.0, 0.03) << v.run.id;
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
    if (v.skipped() || v.moe) continue;  // MoE records are priced apart (docs/validation.md)
    errors.push_back(Error(v));
    by_source[v.run.source].push_back(errors.back());
    std::printf("  %-42s %+6.1f%%\n", v.run.id.c_str(), 100 * errors.back());
  }
  ASSERT_GE(errors.size(), 60u);
  for (const auto& [source, e] : by_source) {
    std::printf("  source %-16s MAPE %5.2f%%\n", source.c_str(), 100 * Mape(e));
  }
  std::printf("  all public runs          MAPE %5.2f%%\n", 100 * Mape(errors));
  EXPECT_LE(Mape(errors), 0.10);
}

TEST(ValidationRunsTest, EachKorthikantiTable5RunWithinTenPercent) {
  std::vector<double> errors;
  for (const ValidationRun& v : Runs()) {
    // Table 5's runs; the two 2,240-GPU records come from the abstract.
    if (v.skipped() || v.run.source != "korthikanti2022" ||
        v.run.id.find("2240gpu") != std::string::npos) {
      continue;
    }
    errors.push_back(Error(v));
    EXPECT_LE(std::abs(errors.back()), 0.15) << v.run.id;
  }
  ASSERT_EQ(errors.size(), 8u);
  double worst = 0;
  for (double e : errors) worst = std::max(worst, std::abs(e));
  std::printf("  Korthikanti Table 5: average %.2f%%, worst %.2f%% (Calculon: 3.65%%, 8.87%%)\n",
              100 * Mape(errors), 100 * worst);
}

TEST(ValidationRunsTest, TorchtitanMemory) {
  // Every record with a measured peak (torchtitan's max reserved): the 8B runs (torchtitan Tables
  // 1-3, Trainy's H200 runs) within 5%, the average within 10%. The 70B 2D and 405B 3D runs
  // measure 15-27% more than the model predicts (the caching allocator holds what it reserved;
  // the model counts what is live): bounded at 30% so that they cannot silently get worse, and
  // printed by `planner validate`.
  int checked = 0, eight_b = 0;
  double sum = 0;
  for (const ValidationRun& v : Runs()) {
    if (v.skipped() || !v.measured_memory_GiB) continue;  // as validate: layout not stated
    const MemoryBreakdown m =
        EstimateMemory(v.run.model, v.run.cluster, v.run.layout, v.run.options.memory);
    const double predicted = BytesToGiB(ReservedBytes(m));
    const double error = predicted / *v.measured_memory_GiB - 1;
    std::printf("  %-44s memory %.1f GiB predicted, %.1f measured (%+.1f%%)\n", v.run.id.c_str(),
                predicted, *v.measured_memory_GiB, 100 * error);
    const bool small = v.run.id.find("_8B_") != std::string::npos;
    EXPECT_LT(std::abs(error), small ? 0.05 : 0.30) << v.run.id;
    eight_b += small;
    sum += std::abs(error);
    ++checked;
  }
  EXPECT_GE(eight_b, 12);
  EXPECT_GE(checked, 19);
  EXPECT_LT(sum / checked, 0.10);
}

// What `planner validate` fits from: the library defaults, with the terms it does not fit (the
// per-kernel cost, the collective fractions) as the generation's preset states them.
EfficiencySpec Start(const std::string& generation) {
  EfficiencySpec e;
  e.gemm_half_flops = Generation(generation).front().cluster.efficiency.gemm_half_flops;
  return e;
}

TEST(ValidationRunsTest, LeaveOneSourceOutIsPrintedAndLooselyBounded) {
  // Held out, a source is predicted with efficiency terms fitted on the other sources of its GPU
  // generation only. Bound: <= 20% for any source with at least 5 runs (vendor pages drift ~5%
  // between revisions; software stacks differ by more; torchtitan held out is the worst).
  // Issue 12's target: <= 10% over all held-out runs of at least 60 records.
  std::vector<double> all;
  for (const std::string gen : {"A100", "H100"}) {
    for (const HeldOutSource& h : LeaveOneSourceOut(Generation(gen), Start(gen))) {
      std::printf("  %s held out %-16s (%d runs): MAPE %5.2f%% (fit on the rest: %.2f%%)\n",
                  gen.c_str(), h.source.c_str(), h.runs, 100 * h.mape, 100 * h.fit.mape);
      if (h.runs >= 5) {
        EXPECT_LE(h.mape, 0.20) << h.source;
      }
      all.insert(all.end(), h.errors.begin(), h.errors.end());
    }
  }
  std::printf("  leave-one-source-out MAPE over %zu runs: %.2f%%\n", all.size(), 100 * Mape(all));
  EXPECT_GE(all.size(), 60u);
  EXPECT_LE(Mape(all), 0.10);
}

TEST(ValidationRunsTest, PresetsCarryTheFit) {
  // Refitting from the library defaults lands where the presets are (to their 4 printed digits),
  // so `planner validate` without --fit reproduces the in-sample error.
  for (const std::string gen : {"A100", "H100"}) {
    const std::vector<MeasuredRun> runs = Generation(gen);
    const FitResult fit = FitEfficiency(runs, Start(gen));
    const EfficiencySpec& preset = runs.front().cluster.efficiency;
    EXPECT_NEAR(fit.efficiency.gemm_max, preset.gemm_max, 1e-3) << gen;
    EXPECT_NEAR(fit.efficiency.hbm_fraction, preset.hbm_fraction, 1e-3) << gen;
    EXPECT_NEAR(fit.efficiency.attention_fraction, preset.attention_fraction, 1e-3) << gen;
  }
  // The generations whose records are all fp8 fit gemm_max alone, from their preset's carried
  // terms (as BuildReport starts them).
  for (const std::string gen : {"B200", "GB200", "GB300"}) {
    const std::vector<MeasuredRun> runs = Generation(gen);
    ASSERT_EQ(ScopeOfFit(runs), FitScope::kGemmMaxOnly) << gen;
    const EfficiencySpec& preset = runs.front().cluster.efficiency;
    const FitResult fit = FitEfficiency(runs, preset);
    EXPECT_NEAR(fit.efficiency.gemm_max, preset.gemm_max, 1e-3) << gen;
  }
}

TEST(ValidationRunsTest, MoeRecordsNameAPresetAndArePricedApart) {
  // DeepSeek-V3's pre-training record: 180K H800 GPU-hours per trillion tokens (2.664M for
  // 14.8T), read through model.preset and priced with DualPipe and the hai-llm stack; within the
  // 20% of issue 17 (tests/io/deepseek_v3_gpu_hours_test.cc derives the same from the paper).
  const ValidationRun& v = Find("deepseekv32024_671b_2048gpu");
  ASSERT_FALSE(v.skipped()) << v.skip_reason;
  EXPECT_TRUE(v.moe);
  EXPECT_EQ(v.run.model.moe.n_experts, 256);
  EXPECT_EQ(v.run.layout.schedule, Schedule::kDualPipe);
  EXPECT_EQ(v.stack.name, "hai-llm");
  const double predicted = PredictStepTime(v.run, v.run.cluster.efficiency);
  EXPECT_NEAR(predicted / v.run.measured_step_time_s, 1.0, 0.2);
  int moe = 0;
  for (const ValidationRun& r : Runs()) moe += r.moe && !r.skipped() ? 1 : 0;
  EXPECT_GE(moe, 5);
}

// Every way a record states its speed implies one step time. Where a record states percent of
// peak, HFU or aggregate PFLOP/s beside its primary metric, each read as the primary gives the
// primary's step time, to the rounding of the stated figure (half a unit in its last digit) and
// 1% for the primary's own. HFU adds the recomputed forward to the source's FLOPs (8/6 of them
// under full recompute, llm-foundry's convention, less the head, which is not recomputed). HFU
// under selective recompute has no common convention (Korthikanti's Table 5 adds 12 B s^2 L h, the
// attention core's forward and backward, where the recomputed work is its forward, 4 B s^2 L h),
// and a FLOP counter's HFU (IBM's torch.utils.flop_counter) is no convention: both are left out.
TEST(ValidationRunsTest, EveryStatedSpeedImpliesTheSameStepTime) {
  const YAML::Node file = YAML::LoadFile(kRuns);
  std::map<std::string, int> checked;
  for (const YAML::Node& record : file) {
    const ValidationRun& v = Find(record["id"].as<std::string>());
    if (v.skipped()) continue;
    for (const auto& [key, metric] :
         {std::pair{"pct_of_peak", RunMetric::kPctOfPeak}, std::pair{"hfu_pct", RunMetric::kHfuPct},
          std::pair{"aggregate_pflops", RunMetric::kAggregatePflops}}) {
      const YAML::Node stated = record["measured"][key];
      if (!stated || stated.IsNull() || v.metric_key == key) continue;
      const std::string formula =
          record["flops_formula"].IsScalar() ? record["flops_formula"].Scalar() : "";
      if (metric == RunMetric::kHfuPct && (v.run.layout.recompute == Recompute::kSelective ||
                                           formula.find("flop_counter") != std::string::npos)) {
        continue;
      }
      const std::string text = stated.Scalar();
      const size_t dot = text.find('.');
      const int decimals = dot == std::string::npos ? 0 : static_cast<int>(text.size() - dot - 1);
      const double value = stated.as<double>();
      ValidationRun as_key = v;
      as_key.metric = metric;
      const double step_s = StepTimeFromMetric(as_key, value);
      const double tolerance = 0.5 * std::pow(10.0, -decimals) / value + 0.01;
      EXPECT_NEAR(step_s / v.run.measured_step_time_s, 1.0, tolerance) << v.run.id << " " << key;
      ++checked[key];
    }
  }
  EXPECT_GE(checked["pct_of_peak"], 10);
  EXPECT_GE(checked["hfu_pct"], 10);
  EXPECT_GE(checked["aggregate_pflops"], 10);
}

}  // namespace
}  // namespace planner
