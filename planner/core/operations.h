// What running a cluster for weeks costs beyond step time: how often a job is interrupted and how
// long it takes to come back (ReliabilitySpec), how fast checkpoints move (StorageSpec), how much
// power it draws and what that emits (PowerSpec), and pricing classes such as spot capacity
// (PricingClass). Pure data with the defaults and their sources; a cluster file overrides any of
// them (configs/clusters/README.md). The models that use them: goodput.h, energy.h.
#ifndef PLANNER_CORE_OPERATIONS_H_
#define PLANNER_CORE_OPERATIONS_H_

#include <optional>
#include <string>
#include <vector>

namespace planner {

// Llama 3 (Dubey et al. 2024, "The Llama 3 Herd of Models", sec. 3.3.4): 419 unexpected
// interruptions in a 54-day snapshot of 405B pre-training on 16,384 H100 GPUs:
// 419 / (54 x 24 h x 16,384 GPUs) = 1.973e-5 per GPU-hour (one every 3.09 h for the job).
inline constexpr double kLlama3Interruptions = 419;
inline constexpr double kLlama3Days = 54;
inline constexpr double kLlama3Gpus = 16384;
inline constexpr double kDefaultInterruptionsPerGpuHour =
    kLlama3Interruptions / (kLlama3Days * 24 * kLlama3Gpus);

struct ReliabilitySpec {
  double interruptions_per_gpu_hour = kDefaultInterruptionsPerGpuHour;
  // Spread of per-GPU-hour interruption rates across published large runs, as P10 and P90
  // multipliers on the rate. Llama 3 (2024, H100, automated recovery) is the lowest of them.
  // BLOOM-176B (BigScience 2022, 384 A100 for ~3.5 months) reports about 1-2 GPU failures a
  // week: 1-2 / (168 h x 384) = 1.6-3.1e-5 per GPU-hour, before node and software failures.
  // OPT-175B (Zhang et al. 2022, sec. 2.5, 992 A100 80GB, ~2 months = 1.43M GPU-hours) needed at
  // least 35 manual restarts (2.4e-5) and cycled over 100 hosts (~9e-5 counting both). P10 = half
  // and P90 = three times Llama 3's rate (1.0e-5 to 5.9e-5) cover BLOOM and OPT's lower reading;
  // what varies is the fleet and the recovery software you get.
  double rate_p10_factor = 0.5;
  double rate_p90_factor = 3.0;
  // Time from a failure to the job noticing it: PyTorch's default collective timeout for NCCL
  // process groups is 10 minutes (torch.distributed.init_process_group, `timeout`). A crash is
  // noticed sooner, a hang only then.
  double detect_s = 600;
  // Re-queueing, replacing or excluding the bad node, process start-up and NCCL initialisation
  // at thousands of GPUs. No run publishes it; 5 minutes is an assumption.
  double relaunch_s = 300;
  // A fixed interval between checkpoints (seconds of training); unset: Daly's optimum (goodput.h).
  std::optional<double> checkpoint_interval_s;
};

// Aggregate checkpoint bandwidth over the job, decimal GB/s. Default: Llama 3 sec. 3.3.1, Meta's
// Tectonic file system serving the 405B run sustains 2 TB/s (7 TB/s peak); a rented cluster's
// parallel file system or object store is often far slower: set storage.write_GBps for yours.
struct StorageSpec {
  double write_GBps = 2000;  // checkpoint write
  double read_GBps = 2000;   // checkpoint read (restart)
};

struct PowerSpec {
  // A GPU's draw between kernels as a fraction of its TDP: ~15% (H100 SXM ~105 W of 700 W idle;
  // nemulai.com, "GPU electricity cost per training run", 2026). Draw under load rises linearly
  // from there to TDP with utilisation (energy.h).
  double gpu_idle_fraction = 0.15;
  // Host power beside the GPUs (CPUs, memory, NICs, fans) as a fraction of the GPUs' TDP: Latif
  // et al. 2024 (arXiv 2412.08602) measured at most 8.4 kW on an 8x H100 HGX node training Llama
  // 2 13B with the GPUs near full load; 8 x 700 W = 5.6 kW of GPUs leaves 2.8 kW = 0.5 x 5.6 kW.
  double node_overhead_fraction = 0.5;
  // Power usage effectiveness: Google's fleet-wide trailing-twelve-month PUE is 1.10 (Google
  // data centers efficiency page, 2023); BLOOM's Jean Zay reported 1.2 (Luccioni et al. 2022);
  // the Uptime Institute's 2023 survey average is 1.58. 1.2: a modern GPU hall, not a
  // hyperscaler's best.
  double pue = 1.2;
  // US average grid emission rate: EPA eGRID2022, 823.1 lb CO2e/MWh = 0.373 kg/kWh.
  double grid_kg_per_kWh = 0.373;
  // US average industrial electricity price 2023: EIA Electric Power Monthly, 8.04 cents/kWh.
  double usd_per_kWh = 0.0804;
};

// A way of paying for the GPUs: "on-demand" (price_per_gpu_hour_usd, always present), "reserved",
// "spot", ... Spot capacity is reclaimed at preemptions_per_node_hour per node, on top of the
// failure rate. AWS's Spot Instance Advisor buckets instance types by monthly interruption
// frequency (<5%, 5-10%, 10-15%, 15-20%, >20%); >20% a month = 2.7e-4 per node-hour.
struct PricingClass {
  std::string name;
  double usd_per_gpu_hour = 0;
  double preemptions_per_node_hour = 0;
};

}  // namespace planner

#endif  // PLANNER_CORE_OPERATIONS_H_
