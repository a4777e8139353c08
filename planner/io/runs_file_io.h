// Reads the candidate runs of `planner compare`: a RUNS.yaml file (strict keys, see
// docs/sizing.md) or --run NAME:MODEL:TOKENS[:CLUSTER[:GPUS[:DTYPE]]] flags. Each run resolves to a
// loaded model, a cluster sized to its GPU count and a global batch in sequences; every problem
// is an InputError at file:line:col (or naming --run).
//
//   cluster: dgx-h100            # default for every run (preset or path)
//   gpus: 1024                   # default for every run (whole nodes)
//   global_batch_tokens: 4M      # default for every run; rounded as GlobalBatchForTokens says
//   runs:
//     - {name: chinchilla, model: chinchilla-70b, tokens: 1.4T}
//     - {name: mine, model: ../models/mine.yaml, tokens: 300e9, cluster: dgx-a100-80gb,
//        gpus: 512, global_batch: 1536}  # per-run overrides; global_batch in sequences
//
// Model and cluster paths are relative to the RUNS.yaml file's folder.
#ifndef PLANNER_IO_RUNS_FILE_IO_H_
#define PLANNER_IO_RUNS_FILE_IO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/core/cluster_spec.h"
#include "planner/core/model_spec.h"
#include "planner/io/quantity.h"  // ParseSuffixedNumber, for the readers of these files

namespace planner {

// Llama 2's 4M tokens per step (Touvron et al. 2023 sec. 2.2): the batch when nothing sets one.
inline constexpr double kDefaultGlobalBatchTokens = 4e6;

// Defaults from the command line; they override the file's top-level keys (not a run's own).
struct CompareDefaults {
  std::optional<std::string> cluster;
  std::optional<int64_t> gpus;
  std::optional<double> global_batch_tokens;
  std::optional<std::string> dtype;  // as given: bf16, fp16, fp8 or fp4
  // How the caller names the options these came from, for errors and hints (the CLI: its flags).
  std::string cluster_option = "the cluster option";
  std::string gpus_option = "the GPU-count option";
  std::string run_option = "the run option";
  std::string dtype_option = "the dtype option";
};

enum class BatchSource {
  kRun,           // the run's global_batch (sequences)
  kTokens,        // global_batch_tokens from the file or --global-batch-tokens, rounded
  kDefaultTokens  // kDefaultGlobalBatchTokens, rounded
};

struct CompareRun {
  std::string name;
  std::string model_arg;  // as resolved: a preset name or a path
  ModelSpec model;
  double tokens = 0;
  std::string cluster_arg;
  ClusterSpec cluster;  // sized to the run's GPU count
  std::string price_source;
  int64_t global_batch = 0;  // sequences per step
  // What its layouts train in: the run's dtype, else the file's or the caller's default, else the
  // GPU's 16-bit one (TrainingDtype); a GPU without a peak in it is an input error.
  Dtype dtype = Dtype::kBf16;
  BatchSource batch_source = BatchSource::kDefaultTokens;
  double batch_tokens_requested = 0;  // for kTokens and kDefaultTokens
};

std::vector<CompareRun> ReadCompareFile(const std::string& path, const CompareDefaults& flags);
// One --run NAME:MODEL:TOKENS[:CLUSTER[:GPUS[:DTYPE]]]; cluster, GPUs and dtype default to
// `flags`.
CompareRun ParseRunFlag(const std::string& text, const CompareDefaults& flags);

// Where a cluster's price comes from, for labels: "list-price default from the dgx-h100 preset
// (Lambda on-demand H100 SXM 80GB)" or "price_per_gpu_hour_usd in my.yaml".
std::string PriceSource(const std::string& cluster_arg);

}  // namespace planner

#endif  // PLANNER_IO_RUNS_FILE_IO_H_
