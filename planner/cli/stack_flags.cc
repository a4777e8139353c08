#include "planner/cli/stack_flags.h"

#include <algorithm>
#include <vector>

#include "planner/cli/layout_flags.h"
#include "planner/core/pipeline_stages.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/model_io.h"
#include "planner/io/presets.h"
#include "planner/io/stack_io.h"

namespace planner {
namespace {

bool Given(const po::variables_map& vm, const char* flag) {
  return vm.count(flag) > 0 && !vm[flag].defaulted();
}

}  // namespace

void AddStackOptions(po::options_description* options) {
  options->add_options()("stack", po::value<std::string>(),
                         ("software stack: a preset (" + Join(PresetNames("stacks"), ", ") +
                          ") or a YAML file; default megatron-core")
                             .c_str())(
      "stack-set", po::value<std::vector<std::string>>()->composing(),
      "override one stack field, e.g. overlap.dp=none or kernels=compiled (repeatable)")(
      "no-sp", po::bool_switch(), "no sequence parallelism even where the stack defaults to it");
}

StackSpec StackFromFlags(const po::variables_map& vm) {
  const std::string name = vm.count("stack") ? vm["stack"].as<std::string>() : kDefaultStack;
  StackSpec s;
  try {
    s = LoadStack(name);
  } catch (const InputError& e) {
    throw InputError("--stack", e.what());
  }
  if (vm.count("stack-set")) {
    ApplyStackOverrides(vm["stack-set"].as<std::vector<std::string>>(), "--stack-set", &s);
  }
  return s;
}

std::string StackArgs(const po::variables_map& vm, const StackSpec& s) {
  std::string args = " --stack " + (vm.count("stack") ? vm["stack"].as<std::string>() : s.name);
  if (vm.count("stack-set")) {
    for (const std::string& o : vm["stack-set"].as<std::vector<std::string>>()) {
      args += " --stack-set " + o;
    }
  }
  return args;
}

std::string StackLine(const po::variables_map& vm, const StackSpec& s) {
  std::string line = "stack: " + s.name;
  if (!vm.count("stack")) line += " (default; --stack to change)";
  if (vm.count("stack-set")) {
    for (const std::string& o : vm["stack-set"].as<std::vector<std::string>>()) line += ", " + o;
  }
  return line;
}

void ApplyStackDefaults(const po::variables_map& vm, const StackSpec& s, ParallelConfig* p) {
  if (!Given(vm, "zero")) {
    p->zero = p->pp > 1 ? std::min(s.default_zero, s.max_zero_with_pp) : s.default_zero;
  }
  const bool no_sp = vm.count("no-sp") && vm["no-sp"].as<bool>();
  if (no_sp && vm.count("sp") && vm["sp"].as<bool>()) {
    throw InputError("--no-sp", "contradicts --sp");
  }
  if (no_sp) p->sp = false;
  if (!no_sp && !Given(vm, "sp") && s.default_sp && s.sequence_parallel && p->tp > 1) p->sp = true;
  if (!Given(vm, "micro-batch")) p->micro_batch = DefaultMicroBatch(s, *p);
}

LayoutInputs LayoutInputsFromFlags(const po::variables_map& vm) {
  LayoutInputs in;
  in.model = LoadModel(vm["model"].as<std::string>());
  ApplySeqFlag(vm, &in.model);
  in.cluster = ClusterFromFlags(vm);
  in.layout = LayoutFromFlags(vm, in.model, in.cluster);
  if (const std::string split = ApplyDefaultStageSplit(in.model.n_layers, &in.layout);
      !split.empty()) {
    in.notes.push_back("stages " + split + ": --pp does not divide the " +
                       std::to_string(in.model.n_layers) +
                       " layers, so the split plan tries first (--first-stage-layers, "
                       "--last-stage-layers to choose)");
  }
  if (!Given(vm, "global-batch") && in.layout.pp > 1) {
    in.notes.push_back("global batch " + std::to_string(in.layout.global_batch) + ": not given, " +
                       std::to_string(kDefaultMicroBatchesPerStage) +
                       " micro-batches per pipeline stage (--global-batch to choose)");
  }
  in.stack = StackFromFlags(vm);
  ApplyStackDefaults(vm, in.stack, &in.layout);
  // Checked as it will be priced, the stack's defaults in (its ZeRO stage decides whether
  // --dp-shard shards anything, its micro-batch the micro-batch count). A fast-domain overflow
  // is allowed on request: explain shows what it costs.
  if (auto e = CheckLayout(in.model, in.cluster, in.layout)) {
    if (e->issue != LayoutIssue::kTpSpansNodes) throw LayoutInputError(*e);
  }
  if (auto why = StackRefuses(in.stack, in.model, in.layout)) {
    throw InputError("--stack", *why + "; choose another layout or --stack");
  }
  return in;
}

void CheckStackDtypes(const StackSpec& stack, const std::vector<Dtype>& dtypes) {
  for (Dtype d : dtypes) {
    if (!StackTrains(stack, d)) {
      throw InputError("--dtype", stack.name + " has no " + ToString(d) +
                                      " training (its supports." + ToString(d) +
                                      "); choose another --stack or --dtype");
    }
  }
}

void CheckStackRecomputes(const StackSpec& stack, const std::vector<Recompute>& modes) {
  if (stack.selective_recompute) return;
  for (Recompute r : modes) {
    if (r != Recompute::kSelective) return;
  }
  throw InputError("--recompute", stack.name +
                                      " has no selective recompute (its "
                                      "supports.selective_recompute: it checkpoints whole "
                                      "layers); choose another --stack or --recompute");
}

}  // namespace planner
