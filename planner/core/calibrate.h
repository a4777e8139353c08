// Least-squares calibration of the cost model from benchmark measurements (commbench and
// matbench JSON rows, already parsed by the caller). Pure functions: no I/O, no exceptions.
//
// Collectives: t(bytes) = alpha + beta * bus_bytes, with bus_bytes = bytes * BusFactor(c, n).
// `bytes` is commbench's size column (the algorithm bytes, size_bytes in its JSON) and the factor
// is nccl-tests' busbw/algbw ratio, so beta is the inverse *bus* bandwidth: 1 / beta is the
// busbw a large message approaches, comparable across collectives and rank counts, and alpha is
// the per-call latency. One fit per (collective, network level, rank count).
//
// GEMMs: eff(F) = eff_max * F / (F + F_half), F = 2mnk. This is what a fixed per-call overhead
// t0 plus a steady rate gives: t = t0 + F / (eff_max * peak), hence F_half = eff_max * peak * t0.
// FLOPs rather than arithmetic intensity because the planner's roofline already takes
// max(compute, memory) per op: the curve only has to capture launch and tiling overheads, which
// scale with the problem, not its shape. Fitted as the line t = t0 + c F.
//
// Both fits minimise squared *relative* residuals by default (weights 1 / t^2): sizes span six
// or more decades, and plain least squares would fit the largest messages alone and miss the
// latency term entirely. Negative coefficients are clamped to zero and the other refitted.
// Samples are split by size: sorted ascending, even positions fit, odd positions are held out,
// and the held-out mean absolute percentage error (MAPE) says how well the fit predicts.
#ifndef PLANNER_CORE_CALIBRATE_H_
#define PLANNER_CORE_CALIBRATE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "planner/core/collective_kind.h"

namespace planner::calib {

struct CommSample {
  Collective collective = Collective::kAllReduce;
  int nranks = 2;
  double bytes = 0.0;   // algorithm bytes (commbench size_bytes); <= 0 is ignored
  double time_s = 0.0;  // <= 0 is ignored
  std::string level;    // network level the ranks span, e.g. "nvlink"; may be empty
};

enum class Weighting { kRelative, kAbsolute };

struct FitOptions {
  Weighting weighting = Weighting::kRelative;
  bool hold_out_alternate = true;  // false: fit on every sample, nothing held out
  // Collectives only: up to this many size regimes, each with its own alpha and beta, split where
  // the fit improves most (dynamic programming over the sorted sizes, at least two sizes per
  // regime). Real stacks change protocol with size (MPI eager/rendezvous, NCCL LL/LL128/Simple)
  // and CPUs fall out of cache, so one line rarely spans eight decades. 1: one alpha-beta line.
  int max_segments = 1;
};

struct PointError {
  double x = 0.0;         // bytes (collectives) or FLOPs (GEMMs)
  double measured = 0.0;  // seconds (collectives) or efficiency (GEMMs)
  double predicted = 0.0;
  double rel_error = 0.0;  // predicted / measured - 1
  bool held_out = false;
};

struct FitQuality {
  std::vector<PointError> points;  // ascending x
  double train_mape = 0.0;         // mean |rel_error| over fitted points
  double heldout_mape = 0.0;       // over held-out points; 0 when none
  double heldout_max_abs_rel_error = 0.0;
  size_t n_train = 0;
  size_t n_heldout = 0;
};

// One size regime: t = alpha_s + beta_s_per_byte * bus_bytes for sizes up to max_bytes
// (algorithm bytes; the last regime has no upper end: infinity).
struct AlphaBetaSegment {
  double max_bytes = 0.0;
  double alpha_s = 0.0;
  double beta_s_per_byte = 0.0;
};

struct AlphaBetaFit {
  Collective collective = Collective::kAllReduce;
  std::string level;
  int nranks = 2;
  // The regime of the largest sizes (the only one with max_segments = 1): the latency and the
  // bus bandwidth a bandwidth-bound model should use.
  double alpha_s = 0.0;
  double beta_s_per_byte = 0.0;  // per bus byte
  bool alpha_clamped = false;    // in any regime
  bool beta_clamped = false;
  std::vector<AlphaBetaSegment> segments;  // ascending sizes; never empty
  FitQuality quality;

  double alpha_us() const { return alpha_s * 1e6; }
  // Decimal GB/s; infinite when beta is 0.
  double busbw_GBps() const;
};

// Uses the regime that covers `bytes`.
double PredictSeconds(const AlphaBetaFit& fit, double bytes);

// One group: every sample must share collective, level and nranks (others are ignored).
// nullopt with fewer than two distinct usable sizes to fit on.
std::optional<AlphaBetaFit> FitAlphaBeta(const std::vector<CommSample>& group,
                                         const FitOptions& options = {});
// Groups samples by (collective, level, nranks), in order of first appearance, and fits each
// group that has enough data.
std::vector<AlphaBetaFit> FitAllAlphaBeta(const std::vector<CommSample>& samples,
                                          const FitOptions& options = {});

// What a fit must meet before `planner calibrate` writes it over a cluster's figures. A held-out
// MAPE of 50 % means the line misses sizes it did not see by half on average: it describes
// noise, not the link (the CPU runs in docs/calibrate.md stay within 28 %). Bus bandwidth is
// compared with the level's datasheet figure (per GPU, one direction): nccl-tests' busbw
// reaches 60-95 % of it on healthy NVLink and InfiniBand, in-switch reduction (NVLS, SHARP) a
// little above it, so outside 5 % to 150 % the measured ranks were not on that level (or the
// cluster file is not the machine measured).
struct FitLimits {
  double max_heldout_mape = 0.50;
  double min_bw_fraction = 0.05;
  double max_bw_fraction = 1.50;
};

// Why a collective fit should not replace the cluster's figures, or nullopt. heldout_mape: from
// the fit on alternate sizes (nullopt: too few sizes to hold any out, not checked);
// datasheet_GBps: the level's bandwidth (<= 0: not checked).
std::optional<std::string> FindFitProblem(const AlphaBetaFit& fit,
                                          std::optional<double> heldout_mape,
                                          double datasheet_GBps, const FitLimits& limits = {});

struct GemmSample {
  double m = 0.0, n = 0.0, k = 0.0;
  double time_s = 0.0;
};

struct GemmEfficiencyFit {
  double peak_flops_per_s = 0.0;
  double eff_max = 0.0;
  double flops_half = 0.0;  // FLOPs at which efficiency reaches eff_max / 2
  double overhead_s = 0.0;  // t0
  FitQuality quality;       // in efficiency
};

double PredictEfficiency(const GemmEfficiencyFit& fit, double flops);

// peak_flops_per_s: the device's peak in the GEMMs' dtype (e.g. 989e12 for H100 SXM bf16 dense).
std::optional<GemmEfficiencyFit> FitGemmEfficiency(const std::vector<GemmSample>& samples,
                                                   double peak_flops_per_s,
                                                   const FitOptions& options = {});

}  // namespace planner::calib

#endif  // PLANNER_CORE_CALIBRATE_H_
