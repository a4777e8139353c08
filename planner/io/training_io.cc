#include "planner/io/training_io.h"

#include "planner/core/limits.h"
#include "planner/io/presets.h"
#include "planner/io/runs_file_io.h"

namespace planner {
namespace {

// 1e10 tokens per step and 1e17 to train: far beyond any run, well inside a double's integers.
constexpr double kMaxStepTokens = 1e10;
constexpr double kMaxTrainingTokens = 1e17;

std::optional<double> TokenCount(const StrictMap& t, const std::string& key, double max_value) {
  if (!t.Has(key)) return std::nullopt;
  const YAML::Node& node = t.Value(key);
  const std::string text = node.IsScalar() ? node.Scalar() : "";
  const std::optional<double> v = ParseSuffixedNumber(text);
  if (!v || *v > max_value) {
    FailAt(t.file(), node, "training." + key + " must be a positive number of tokens up to " +
                               (max_value == kMaxStepTokens ? "1e10" : "1e17") +
                               " such as 4M or 2T, got '" + text + "'");
  }
  return v;
}

std::optional<int64_t> PositiveCount(const StrictMap& t, const std::string& key, int64_t limit) {
  const std::optional<int64_t> v = t.OptInt(key);
  if (v && (*v <= 0 || *v > limit)) {
    t.Fail(key, "training." + key + " must be a positive integer up to " + std::to_string(limit) +
                    ", got " + std::to_string(*v));
  }
  return v;
}

}  // namespace

TrainingSpec ReadTrainingSpec(const YamlDoc& model_doc) {
  TrainingSpec spec;
  if (!model_doc.root.IsMap() || !model_doc.root[kTrainingKey]) return spec;
  const StrictMap t(model_doc.file, model_doc.root[kTrainingKey],
                    {"global_batch", "global_batch_tokens", "seq_len", "tokens"},
                    "the training block", "training.");
  spec.global_batch = PositiveCount(t, "global_batch", kMaxGlobalBatch);
  spec.global_batch_tokens = TokenCount(t, "global_batch_tokens", kMaxStepTokens);
  if (spec.global_batch && spec.global_batch_tokens) {
    t.Fail("global_batch_tokens",
           "give training.global_batch (sequences) or training.global_batch_tokens, not both");
  }
  spec.seq_len = PositiveCount(t, "seq_len", kMaxDimension);
  spec.tokens = TokenCount(t, "tokens", kMaxTrainingTokens);
  return spec;
}

TrainingSpec LoadTraining(const std::string& model_arg) {
  return ReadTrainingSpec(LoadSpecDoc("models", model_arg));
}

}  // namespace planner
