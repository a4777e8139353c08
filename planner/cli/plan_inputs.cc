#include "planner/cli/plan_inputs.h"

#include "planner/core/limits.h"
#include "planner/core/sizing.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/runs_file_io.h"
#include "planner/io/training_io.h"

namespace planner {
namespace {

constexpr double kMaxPlanBatchTokens = 1e10;

void ApplySeq(const po::variables_map& vm, const TrainingSpec& t, ModelSpec* m,
              PlanInputs* in) {
  if (vm.count("seq")) {
    in->seq_override = PositiveFlag(vm, "seq", kMaxDimension);
  } else if (t.seq_len) {
    in->seq_override = *t.seq_len;
  }
  if (!in->seq_override) return;
  m->seq_len = *in->seq_override;
  if (auto e = Validate(*m)) {
    throw InputError(vm.count("seq") ? "--seq" : "training.seq_len", e->message);
  }
}

std::string TokensText(double tokens) { return Si(tokens, 3); }

}  // namespace

void AddPlanInputOptions(po::options_description* options) {
  options->add_options()
      ("global-batch-tokens", po::value<std::string>(),
       "tokens per step instead of --global-batch, e.g. 4M: the power-of-two number of "
       "sequences nearest it / seq_len")
      ("seq", po::value<int64_t>(), "sequence length (default: the model's seq_len)");
}

PlanInputs ResolvePlanInputs(const po::variables_map& vm, const std::string& model_arg,
                             const ClusterSpec& c, ModelSpec* m) {
  PlanInputs in;
  in.assumed = c.assumed;
  const TrainingSpec t = LoadTraining(model_arg);
  in.tokens = t.tokens;
  ApplySeq(vm, t, m, &in);
  if (vm.count("global-batch") && vm.count("global-batch-tokens")) {
    throw InputError("--global-batch",
                     "give --global-batch (sequences) or --global-batch-tokens, not both");
  }
  if (vm.count("global-batch")) {
    in.global_batch = PositiveFlag(vm, "global-batch", kMaxGlobalBatch);
  } else if (vm.count("global-batch-tokens")) {
    const std::string text = vm["global-batch-tokens"].as<std::string>();
    const std::optional<double> tokens = ParseSuffixedNumber(text);
    if (!tokens || *tokens > kMaxPlanBatchTokens) {
      throw InputError("--global-batch-tokens",
                       "must be a positive number of tokens up to 1e10 such as 4M, got '" + text +
                           "'");
    }
    in.global_batch = GlobalBatchForTokens(*tokens, m->seq_len);
  } else if (t.global_batch) {
    in.global_batch = *t.global_batch;
  } else if (t.global_batch_tokens) {
    in.global_batch = GlobalBatchForTokens(*t.global_batch_tokens, m->seq_len);
  } else {
    in.global_batch = GlobalBatchForTokens(kDefaultGlobalBatchTokens, m->seq_len);
    in.assumed.push_back(
        "global batch = " + Grouped(in.global_batch) + " sequences x " + Grouped(m->seq_len) +
        " tokens (" + TokensText(static_cast<double>(in.global_batch * m->seq_len)) + " per step" +
        "): the power-of-two number of sequences nearest 4M tokens (Llama 2's) / seq_len; give "
        "--global-batch, --global-batch-tokens or the model file's training block");
  }
  return in;
}

std::string ShellWord(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789._-/+=:@") == std::string::npos) {
    return arg;
  }
  std::string quoted = "'";
  for (char ch : arg) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return quoted + "'";
}

}  // namespace planner
