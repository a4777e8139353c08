// The optional `training:` block of a model file: what one run of that model trains on, so that
// `planner plan CLUSTER MODEL` needs no flags (docs/minimal-inputs.md).
//
//   training:
//     global_batch: 1024          # sequences per step, or
//     global_batch_tokens: 4M     # tokens per step (a power-of-two number of sequences)
//     seq_len: 4096               # overrides the model's seq_len
//     tokens: 2T                  # tokens to train: plan adds days and dollars
//
// Token counts take a number or a K, M, B, T suffix ("4M"), as --global-batch-tokens does.
#ifndef PLANNER_IO_TRAINING_IO_H_
#define PLANNER_IO_TRAINING_IO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/io/yaml_strict.h"

namespace planner {

struct TrainingSpec {
  std::optional<int64_t> global_batch;  // sequences
  std::optional<double> global_batch_tokens;
  std::optional<int64_t> seq_len;
  std::optional<double> tokens;
};

// The model file's key for the block (ReadModelSpec accepts and skips it).
inline const std::string kTrainingKey = "training";

// Empty when the document has no training block.
TrainingSpec ReadTrainingSpec(const YamlDoc& model_doc);
// Reads MODEL (file or preset) again for its training block.
TrainingSpec LoadTraining(const std::string& model_arg);

}  // namespace planner

#endif  // PLANNER_IO_TRAINING_IO_H_
