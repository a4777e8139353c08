// Goodput: how much longer a training run takes than its failure-free compute time once the
// cluster fails, the job checkpoints and restarts, and work since the last checkpoint is lost.
// Pure: no I/O, no exceptions. The formulas (docs/goodput.md):
//
//   failures arrive as a Poisson process, rate lambda = GPUs x interruptions per GPU-hour
//   (+ nodes x spot preemptions per node-hour); MTBF M = 1 / lambda
//   checkpoint write delta = checkpoint bytes / storage write bandwidth (the job stalls for it)
//   restart R = detection + relaunch + checkpoint bytes / storage read bandwidth
//   interval tau (training time between checkpoints): Daly's higher-order optimum (Daly 2006,
//     "A higher order estimate of the optimum checkpoint interval for restart dumps", FGCS 22):
//     tau = sqrt(2 delta M) [1 + sqrt(delta / 2M) / 3 + (delta / 2M) / 9] - delta  if delta < 2M,
//     tau = M otherwise; for delta << M it is Young's (1974) sqrt(2 delta M)
//   expected wall time for T_s of training (Daly 2006, exponential failures, failures also
//     during checkpoints and restarts): T_w = M e^(R/M) (e^((tau + delta)/M) - 1) T_s / tau
//   goodput = T_s / T_w; expected interruptions = T_w / M
#ifndef PLANNER_CORE_GOODPUT_H_
#define PLANNER_CORE_GOODPUT_H_

#include <cstdint>
#include <vector>

#include "planner/core/error_band.h"
#include "planner/core/memory.h"
#include "planner/core/operations.h"

namespace planner {

// What a checkpoint holds: the weights and the optimizer state as the stack keeps them, once for
// the whole model (MemoryOptions: 16-bit weights + fp32 master weights and Adam m, v, 2 + 12 bytes
// per parameter by default; ZeRO-3's sharded bytes under zero >= 3, FSDP's fp32 shards and m, v;
// Muon's single moment for the `layer_params` of the layers); gradients are not saved. ZeRO and
// data parallelism only change who writes which part.
double CheckpointBytes(double params, const MemoryOptions& o = {}, int zero = 0,
                       double layer_params = 0);

// The largest part one GPU writes when data-parallel replicas split the write of their shared
// state evenly (Megatron's and torch.distributed.checkpoint's fully parallel save): the weights
// and optimizer state the memory model puts on the most loaded GPU, over the ranks that hold a
// copy of them (dp x cp, unless ZeRO already sharded that part).
double CheckpointBytesPerGpu(const MemoryBreakdown& mem, int64_t dp, int64_t cp, int zero);

struct GoodputInputs {
  double compute_hours = 0;  // failure-free training time (steps x step time)
  int64_t gpus = 0;
  int64_t nodes = 0;
  double checkpoint_bytes = 0;
  double preemptions_per_node_hour = 0;  // spot capacity (operations.h PricingClass)
  ReliabilitySpec reliability;
  StorageSpec storage;
};

struct Goodput {
  double interruptions_per_hour = 0;  // lambda, the whole job
  double mtbf_h = 0;                  // 1 / lambda; infinite when lambda = 0
  double checkpoint_write_s = 0;      // delta
  double restart_s = 0;               // R: detection + relaunch + checkpoint load
  double interval_s = 0;              // tau: training seconds between checkpoints
  bool interval_is_daly = true;       // false: reliability.checkpoint_interval_s
  double wall_hours = 0;              // T_w
  double goodput = 1;                 // T_s / T_w
  double interruptions = 0;           // expected over the run: T_w / M
  // T_w = compute + checkpoints + restarts + lost work, in hours.
  double checkpoint_hours = 0;         // T_s / tau checkpoints of delta each
  double restart_hours = 0;            // interruptions x R
  double lost_hours = 0;               // the rest: work redone since the last checkpoint
  double checkpoint_overhead() const;  // checkpoint_hours / wall_hours
};

// Young 1974: sqrt(2 delta M).
double YoungInterval(double write_s, double mtbf_s);
// Daly 2006 higher-order optimum (formula above).
double DalyInterval(double write_s, double mtbf_s);
// Daly 2006 expected wall time; +infinity when the run would (practically) never finish.
double DalyWallTime(double compute_s, double interval_s, double write_s, double restart_s,
                    double mtbf_s);

Goodput ComputeGoodput(const GoodputInputs& in);

struct Band {
  double p10 = 0;
  double p90 = 0;
};

// Days and dollars as P10-P90 bands: seeded Monte Carlo (reproducible on every platform) over a
// log-normal step-time factor whose P10 and P90 are the ErrorBand's, and a log-normal failure-
// rate factor whose P10 and P90 are reliability.rate_p10_factor and rate_p90_factor; the
// checkpoint interval stays the nominal one (an operator sets it before the run).
struct RunBands {
  Band wall_hours;
  Band days;
  Band cost_usd;
  Band goodput;
  int samples = 0;
};

// The standard error of a P10 or P90 estimate from n samples is sqrt(0.1 x 0.9 / n) / pdf at
// that quantile (0.1755 for a standard normal): 4,000 samples put it within 0.027 sigma, well
// below the two-to-three digits the outputs print, in a few milliseconds per run.
inline constexpr int kDefaultBandSamples = 4000;
inline constexpr uint64_t kDefaultBandSeed = 20240723;  // Llama 3.1's release date

RunBands ComputeBands(const GoodputInputs& in, const Goodput& nominal, const ErrorBand& step,
                      double usd_per_gpu_hour, int samples = kDefaultBandSamples,
                      uint64_t seed = kDefaultBandSeed);

// The p-th quantile (0..1) of `values` by linear interpolation between order statistics; sorts.
double Quantile(std::vector<double>* values, double p);

}  // namespace planner

#endif  // PLANNER_CORE_GOODPUT_H_
