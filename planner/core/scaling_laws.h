// Scaling laws for dense transformer language models: predicted loss and compute-optimal
// (params, tokens) under the published fits, for `planner chinchilla`, `compare` and `size`.
// Pure: no I/O, no exceptions; bad input comes back as a ScalingError or std::nullopt.
//
// Conventions shared by every fit: N = parameters, D = training tokens, C = 6 N D training
// FLOPs (Kaplan et al. 2020 sec. 2.1), losses in nats per token, 1 PF-day = 8.64e19 FLOPs.
// Each fit's compute-optimal frontier is a power law N_opt(C) and its partner is
// D_opt = C / (6 N_opt), so C = 6 N D holds exactly for every point this file returns.
// Kaplan et al. 2020 count non-embedding parameters; Hoffmann et al. 2022 (App. F) and
// Besiroglu et al. 2024 count all of them. Losses from different fits are on different data
// and tokenizers: compare orderings across fits, not absolute values. docs/scaling_laws.md
// lists every constant with its source and the known discrepancies.
#ifndef PLANNER_CORE_SCALING_LAWS_H_
#define PLANNER_CORE_SCALING_LAWS_H_

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace planner {

// Forward + backward FLOPs per parameter per token (Kaplan et al. 2020 sec. 2.1).
inline constexpr double kTrainingFlopsPerParamToken = 6.0;
// The rule of thumb D = 20 N, read off Hoffmann et al. 2022 Table 3 (e.g. 1B: 20.2B tokens).
inline constexpr double kRuleTokensPerParam = 20.0;

enum class ScalingFit {
  kChinchillaApproach1,   // Hoffmann et al. 2022, minimum over training curves
  kChinchillaApproach2,   // Hoffmann et al. 2022, IsoFLOP profiles
  kChinchillaApproach3,   // Hoffmann et al. 2022, parametric loss (eq. 10)
  kEpoch2024,             // Besiroglu et al. 2024 (Epoch AI), refit of approach 3
  kKaplan2020,            // Kaplan et al. 2020
  kTwentyTokensPerParam,  // D = 20 N
};

// The order every per-fit list in this file follows.
inline constexpr std::array<ScalingFit, 6> kAllScalingFits = {
    ScalingFit::kChinchillaApproach1, ScalingFit::kChinchillaApproach2,
    ScalingFit::kChinchillaApproach3, ScalingFit::kEpoch2024,
    ScalingFit::kKaplan2020,          ScalingFit::kTwentyTokensPerParam};

struct ScalingFitInfo {
  const char* id;             // stable key for flags and JSON: "chinchilla-1", "kaplan", ...
  const char* name;           // for tables: "Chinchilla approach 1"
  const char* source;         // paper and table/equation the numbers come from
  bool has_loss;              // whether the fit predicts a loss
  bool non_embedding_params;  // whether its N excludes embedding parameters
};

const ScalingFitInfo& Info(ScalingFit fit);
std::optional<ScalingFit> ScalingFitFromId(std::string_view id);

// L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022 eq. 2).
struct ParametricLossLaw {
  double e_nats;
  double a;
  double b;
  double alpha;
  double beta;
};

// Hoffmann et al. 2022 eq. 10. Some copies (and a lecture seed) print E = 1.61: a typo.
inline constexpr ParametricLossLaw kHoffmann2022Loss{1.69, 406.4, 410.7, 0.34, 0.28};
// Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt", their refit of eq. 2.
inline constexpr ParametricLossLaw kBesiroglu2024Loss{1.8172, 482.01, 2085.43, 0.3478, 0.3658};

// L(N, D) = [(Nc / N)^(alpha_n / alpha_d) + Dc / D]^alpha_d (Kaplan et al. 2020 eq. 1.5/4.1),
// N non-embedding parameters, early-stopped loss on WebText2.
struct KaplanLossLaw {
  double n_c_params;
  double d_c_tokens;
  double alpha_n;
  double alpha_d;
};

// Kaplan et al. 2020 App. A, Tables 4 and 5 (the single-variable fits of eqs. 1.1 and 1.2).
// This is the law the kKaplan2020 fit uses.
inline constexpr KaplanLossLaw kKaplan2020Loss{8.8e13, 5.4e13, 0.076, 0.095};
// Kaplan et al. 2020 Table 2: the joint fit of L(N, D) in sec. 4.2, from which eq. 4.4's
// D >~ 5e3 N^0.74 follows (0.076 / 0.103 = 0.74).
inline constexpr KaplanLossLaw kKaplan2020JointLoss{6.4e13, 1.8e13, 0.076, 0.103};

double LossNats(const ParametricLossLaw& law, double params, double tokens);
double LossNats(const KaplanLossLaw& law, double non_embedding_params, double tokens);
// The fit's loss law at (N, D); nullopt for fits without one (approaches 1 and 2, D = 20 N).
std::optional<double> PredictedLossNats(ScalingFit fit, double params, double tokens);

// N_opt(C) = params_ref * (C / flops_ref)^exponent, with D_opt = C / (6 N_opt).
struct PowerLawAllocation {
  double params_ref;
  double flops_ref;
  double exponent;
};

PowerLawAllocation Allocation(ScalingFit fit);
// Closed-form minimiser of a parametric loss subject to C = 6 N D (Hoffmann et al. 2022 eq. 4):
// N_opt = G (C / 6)^(beta / (alpha + beta)), G = (alpha A / (beta B))^(1 / (alpha + beta)).
PowerLawAllocation AllocationFromLoss(const ParametricLossLaw& law);

double TrainingFlops(double params, double tokens);  // 6 N D
double FlopsToPfDays(double flops);
double PfDaysToFlops(double pf_days);
// Kaplan et al. 2020 eq. 4.4: D >~ (5e3) N^0.74 keeps overfitting below the 0.02-nat spread
// between random seeds; N non-embedding.
double KaplanMinTokens(double non_embedding_params);

struct ComputeOptimalPoint {
  ScalingFit fit;
  double params;
  double tokens;
  double flops;  // 6 N D
  double pf_days;
  double tokens_per_param;
  std::optional<double> loss_nats;  // absent where the fit has no loss law
};

// The fit's optimum for a FLOP budget; for a model size (the tokens, and so the budget, for
// which that size is optimal); or for a token count. nullopt unless the input is finite and
// positive and the answer is representable.
std::optional<ComputeOptimalPoint> OptimalForFlops(ScalingFit fit, double flops);
std::optional<ComputeOptimalPoint> OptimalForParams(ScalingFit fit, double params);
std::optional<ComputeOptimalPoint> OptimalForTokens(ScalingFit fit, double tokens);

// The MFU assumed where none is measured or searched (`planner chinchilla`, `size`'s first
// guess): well-tuned Megatron-LM runs of 100B+ models report 0.38-0.52, and 0.40 is the round
// number below that range's middle (`planner validate` lists the published runs).
inline constexpr double kDefaultMfu = 0.40;

// Training FLOPs a cluster delivers: GPU-hours x 3600 x peak FLOP/s per GPU x MFU.
double TrainingFlopsFromGpuHours(double gpu_hours, double peak_flops_per_gpu_s, double mfu);
double GpuHoursFromUsd(double budget_usd, double usd_per_gpu_hour);

// A validation failure names the input it is about ("flops", "mfu", "runs[1].tokens", ...).
struct ScalingError {
  std::string key;
  std::string message;
};

// The cluster numbers a GPU-hour or dollar budget needs; the CLI takes them from ClusterSpec
// (peak dense FLOP/s in the training dtype, price) and the planned or assumed MFU.
struct ClusterThroughput {
  double peak_flops_per_gpu_s = 0;
  double mfu = 0;  // model FLOPs utilisation, in (0, 1]
  double usd_per_gpu_hour = 0;
};

enum class ChinchillaInput { kFlops, kGpuHours, kBudgetUsd, kParams, kTokens };

struct ChinchillaQuery {
  ChinchillaInput input = ChinchillaInput::kFlops;
  double value = 0;           // FLOPs, GPU-hours, US dollars, parameters or tokens
  ClusterThroughput cluster;  // read only for kGpuHours and kBudgetUsd
};

struct ChinchillaAnswer {
  std::optional<ScalingError> error;        // when set, nothing else is meaningful
  std::optional<double> gpu_hours;          // kGpuHours, kBudgetUsd
  std::optional<double> budget_flops;       // kFlops, kGpuHours, kBudgetUsd
  std::vector<ComputeOptimalPoint> points;  // one per fit, kAllScalingFits order
};

ChinchillaAnswer AnswerChinchilla(const ChinchillaQuery& query);

struct TrainingRun {
  std::string name;
  double params = 0;                // total, as Hoffmann and Besiroglu count
  double non_embedding_params = 0;  // what Kaplan's law reads; 0: use params
  double tokens = 0;
};

struct FitLoss {
  ScalingFit fit;
  double loss_nats;
};

struct ComparedRun {
  std::string name;
  double flops;  // 6 N D with total N
  double pf_days;
  double tokens_per_param;
  std::vector<FitLoss> losses;  // one per fit with a loss law, kAllScalingFits order
  double kaplan_min_tokens;     // eq. 4.4 for its non-embedding N
  bool kaplan_enough_tokens;    // tokens >= kaplan_min_tokens
};

// For one loss fit, the run it predicts the lowest loss for (first one on a tie).
struct FitWinner {
  ScalingFit fit;
  std::size_t run_index;
};

struct RunComparison {
  std::optional<ScalingError> error;   // when set, nothing else is meaningful
  std::vector<ComparedRun> runs;       // input order
  std::vector<FitWinner> lowest_loss;  // one per fit with a loss law
};

RunComparison CompareRuns(std::span<const TrainingRun> runs);

}  // namespace planner

#endif  // PLANNER_CORE_SCALING_LAWS_H_
