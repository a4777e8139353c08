#include "planner/io/runs_file_io.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>

#include "planner/core/limits.h"
#include "planner/core/sizing.h"
#include "planner/io/cluster_io.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/model_io.h"
#include "planner/io/presets.h"
#include "planner/io/suggest.h"
#include "planner/io/yaml_strict.h"

namespace planner {
namespace {

namespace fs = std::filesystem;

// Far outside any training run (as `planner chinchilla` bounds --tokens): a typo, not a plan.
constexpr double kMinTokens = 1e3;
constexpr double kMaxTokens = 1e17;
// Llama 3 405B ended at 16M tokens per step; 1e10 is a typo.
constexpr double kMaxBatchTokens = 1e10;

// Throws an InputError at the place the value came from (file:line:col or a flag).
using Fail = std::function<void(const std::string& key, const std::string& message)>;

// A value and where to point an error about it.
template <class T>
struct Sourced {
  T value;
  Fail fail;
};

// What a run says before anything is loaded.
struct RunFields {
  std::string name;
  Sourced<std::string> model;
  Sourced<double> tokens;
  std::optional<Sourced<std::string>> cluster;
  std::optional<Sourced<int64_t>> gpus;
  std::optional<int64_t> global_batch;
  std::optional<Sourced<std::string>> dtype;
  Fail fail;  // for problems with the run as a whole
  std::string label;  // "runs[2] (llama3)" or "run 'llama3'"
  // How to give a missing cluster or GPU count, for the error message.
  std::string cluster_hint;
  std::string gpus_hint;
};

// The defaults a run falls back on, each with where it came from.
struct Defaults {
  std::optional<Sourced<std::string>> cluster;
  std::optional<Sourced<int64_t>> gpus;
  std::optional<double> batch_tokens;
  std::optional<Sourced<std::string>> dtype;
  fs::path base;  // folder that relative paths in the file are relative to
};

// A preset name or a path, checked to exist; paths are taken relative to `base`.
std::string ResolveSpec(const std::string& kind, const std::string& value, const fs::path& base,
                        const Fail& fail, const std::string& key) {
  const std::string noun = kind == "models" ? "model" : "cluster";
  std::error_code ec;
  const fs::path candidate = (base / value).lexically_normal();
  if (LooksLikePath(value)) {
    if (!fs::exists(candidate, ec)) {
      fail(key, noun + " file '" + candidate.string() + "' does not exist" +
                    (base.empty() ? "" : " (paths are relative to the runs file's folder)"));
    }
    return candidate.string();
  }
  if (!base.empty() && fs::is_regular_file(candidate, ec)) return candidate.string();
  if (FindPreset(kind, value)) return value;
  if (fs::is_regular_file(value, ec)) return value;
  fail(key, "no " + noun + " preset or file named '" + value + "'" +
                DidYouMean(value, PresetNames(kind)) + "; `planner presets` lists them");
  return "";  // not reached: fail throws
}

void CheckTokens(const Sourced<double>& t, const std::string& key) {
  if (t.value < kMinTokens || t.value > kMaxTokens) {
    t.fail(key, key + " = " + Sci(t.value) + " is outside any training run (limits " +
                    Sci(kMinTokens, 1) + " to " + Sci(kMaxTokens, 1) + " tokens)");
  }
}

void CheckGpus(const Sourced<int64_t>& g, const ClusterSpec& c, const std::string& key) {
  if (g.value <= 0) g.fail(key, key + " must be a positive integer, got " + std::to_string(g.value));
  if (g.value > kMaxGpus) {
    g.fail(key, key + " = " + std::to_string(g.value) + " is more GPUs than any cluster (limit " +
                    Grouped(kMaxGpus) + ")");
  }
  if (g.value > c.gpus_per_node && g.value % c.gpus_per_node != 0) {
    g.fail(key, key + " = " + std::to_string(g.value) + " is not a whole number of " +
                    std::to_string(c.gpus_per_node) + "-GPU nodes of " + c.name);
  }
}

ClusterSpec LoadSizedCluster(const std::string& arg, const Sourced<int64_t>& gpus) {
  ClusterSpec c = LoadCluster(arg);
  CheckGpus(gpus, c, "gpus");
  SetGpuCount(&c, gpus.value, "gpus");
  return c;
}

void SetBatch(const RunFields& f, const Defaults& d, CompareRun* run) {
  if (f.global_batch) {
    run->global_batch = *f.global_batch;
    run->batch_source = BatchSource::kRun;
    return;
  }
  run->batch_source = d.batch_tokens ? BatchSource::kTokens : BatchSource::kDefaultTokens;
  run->batch_tokens_requested = d.batch_tokens.value_or(kDefaultGlobalBatchTokens);
  run->global_batch = GlobalBatchForTokens(run->batch_tokens_requested, run->model.seq_len);
}

// The run's dtype (its own, else the default's), checked against its GPU; else its 16-bit one.
Dtype RunDtype(const std::optional<Sourced<std::string>>& given, const ClusterSpec& c) {
  if (!given) return TrainingDtype(c.gpu);
  const auto choices = Choices(kDtypeNames, kTrainingDtypes);
  const std::optional<Dtype> d = FindChoice(choices, given->value);
  if (!d) {
    given->fail("dtype", "dtype must be one of " + JoinChoices(ChoiceNames(choices)) + ", got '" +
                             given->value + "'");
  }
  if (c.gpu.peak(*d) <= 0) {
    given->fail("dtype", UnsupportedDtypeText(*d, c.gpu, c.name));
  }
  return *d;
}

CompareRun BuildRun(const RunFields& f, const Defaults& d, const fs::path& base) {
  CheckTokens(f.tokens, "tokens");
  const std::optional<Sourced<std::string>>& cluster = f.cluster ? f.cluster : d.cluster;
  const std::optional<Sourced<int64_t>>& gpus = f.gpus ? f.gpus : d.gpus;
  if (!cluster) {
    f.fail("cluster", f.label + " has no cluster: " + f.cluster_hint);
  }
  if (!gpus) f.fail("gpus", f.label + " has no GPU count: " + f.gpus_hint);
  CompareRun run;
  run.name = f.name;
  run.model_arg = ResolveSpec("models", f.model.value, base, f.model.fail, "model");
  run.model = LoadModel(run.model_arg);
  run.tokens = f.tokens.value;
  const fs::path& cluster_base = f.cluster ? base : d.base;
  run.cluster_arg = ResolveSpec("clusters", cluster->value, cluster_base, cluster->fail, "cluster");
  run.cluster = LoadSizedCluster(run.cluster_arg, *gpus);
  run.price_source = PriceSource(run.cluster_arg);
  run.dtype = RunDtype(f.dtype ? f.dtype : d.dtype, run.cluster);
  SetBatch(f, d, &run);
  return run;
}

// A file value that is a quantity such as 300e9 or 1.4T.
double FileQuantity(const StrictMap& m, const std::string& key, const std::string& what) {
  const YAML::Node& n = m.Value(key);
  if (!n.IsScalar() || n.Tag() == "!") {
    m.Fail(key, what + " must be a number such as 300e9 or 1.4T");
  }
  const std::optional<double> v = ParseSuffixedNumber(n.Scalar());
  if (!v) {
    m.Fail(key, what + " must be a positive number such as 300e9 or 1.4T, got '" + n.Scalar() +
                    "'");
  }
  return *v;
}

Fail FileFail(const StrictMap& m) {
  return [&m](const std::string& key, const std::string& message) { m.Fail(key, message); };
}

RunFields ReadRunFields(const StrictMap& m, size_t index, const CompareDefaults& flags) {
  RunFields f;
  f.fail = FileFail(m);
  f.cluster_hint = "set cluster in the run or at the top, or pass " + flags.cluster_option;
  f.gpus_hint = "set gpus in the run or at the top, or pass " + flags.gpus_option;
  f.name = m.String("name");
  if (f.name.empty()) m.Fail("name", "name must not be empty");
  f.label = "runs[" + std::to_string(index) + "] (" + f.name + ")";
  f.model = {m.String("model"), f.fail};
  if (!m.Has("tokens")) m.String("tokens");  // "missing required key 'tokens'"
  f.tokens = {FileQuantity(m, "tokens", "tokens"), f.fail};
  if (auto c = m.OptString("cluster")) f.cluster = Sourced<std::string>{*c, f.fail};
  if (auto g = m.OptInt("gpus")) f.gpus = Sourced<int64_t>{*g, f.fail};
  if (auto t = m.OptString("dtype")) f.dtype = Sourced<std::string>{*t, f.fail};
  if (auto b = m.OptInt("global_batch")) {
    if (*b <= 0 || *b > kMaxGlobalBatch) {
      m.Fail("global_batch", "global_batch must be between 1 and " + Grouped(kMaxGlobalBatch) +
                                 " sequences, got " + std::to_string(*b));
    }
    f.global_batch = *b;
  }
  return f;
}

std::optional<double> BatchTokens(const StrictMap& top) {
  if (!top.Has("global_batch_tokens")) return std::nullopt;
  const double v = FileQuantity(top, "global_batch_tokens", "global_batch_tokens");
  if (v > kMaxBatchTokens) {
    top.Fail("global_batch_tokens", "global_batch_tokens = " + Sci(v) +
                                        " is implausibly large (limit " +
                                        Sci(kMaxBatchTokens, 1) + ")");
  }
  return v;
}

Fail FlagFail(const std::string& flag) {
  return [flag](const std::string&, const std::string& message) {
    throw InputError(flag, message);
  };
}

// File defaults, then the command line's on top.
Defaults ReadDefaults(const StrictMap& top, const CompareDefaults& flags, const fs::path& base) {
  Defaults d;
  d.base = base;
  const Fail fail = FileFail(top);
  if (auto c = top.OptString("cluster")) d.cluster = Sourced<std::string>{*c, fail};
  if (auto g = top.OptInt("gpus")) d.gpus = Sourced<int64_t>{*g, fail};
  if (auto t = top.OptString("dtype")) d.dtype = Sourced<std::string>{*t, fail};
  d.batch_tokens = BatchTokens(top);
  if (flags.cluster) {
    d.cluster = Sourced<std::string>{*flags.cluster, FlagFail(flags.cluster_option)};
    d.base = "";
  }
  if (flags.gpus) d.gpus = Sourced<int64_t>{*flags.gpus, FlagFail(flags.gpus_option)};
  if (flags.global_batch_tokens) d.batch_tokens = flags.global_batch_tokens;
  if (flags.dtype) d.dtype = Sourced<std::string>{*flags.dtype, FlagFail(flags.dtype_option)};
  return d;
}

std::vector<std::string> SplitColons(const std::string& text) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (c == ':') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

}  // namespace

std::string PriceSource(const std::string& cluster_arg) {
  if (LooksLikePath(cluster_arg) || !FindPreset("clusters", cluster_arg)) {
    return "price_per_gpu_hour_usd in " + cluster_arg;
  }
  const std::string text = FindPreset("clusters", cluster_arg)->text;
  const std::string marker = "# Default price, to be overridden: ";
  std::string source = "list-price default from the " + cluster_arg + " preset";
  const size_t at = text.find(marker);
  if (at == std::string::npos) return source;
  std::string who = text.substr(at + marker.size());
  who = who.substr(0, std::min(who.find('\n'), who.find(" $")));
  while (!who.empty() && (who.back() == ',' || who.back() == ' ')) who.pop_back();
  return who.empty() ? source : source + " (" + who + ")";
}

std::vector<CompareRun> ReadCompareFile(const std::string& path, const CompareDefaults& flags) {
  const YamlDoc doc = LoadYamlFile(path);
  const StrictMap top(doc.file, doc.root,
                      {"cluster", "gpus", "global_batch_tokens", "dtype", "runs"}, "runs file");
  // "." rather than "" for a file in the working directory: paths in it are file-relative too.
  const fs::path parent = fs::path(path).parent_path();
  const fs::path base = parent.empty() ? fs::path(".") : parent;
  const Defaults defaults = ReadDefaults(top, flags, base);
  if (!top.Has("runs")) top.Fail("runs", "missing required key 'runs' (a list of runs)");
  const YAML::Node& list = top.Value("runs");
  if (!list.IsSequence() || list.size() == 0) {
    top.Fail("runs", "runs must be a non-empty list of {name, model, tokens} mappings");
  }
  std::vector<CompareRun> runs;
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const StrictMap m(doc.file, list[i],
                      {"name", "model", "tokens", "cluster", "gpus", "global_batch", "dtype"},
                      "runs[" + std::to_string(i) + "]");
    const RunFields f = ReadRunFields(m, i, flags);
    if (!names.insert(f.name).second) m.Fail("name", "duplicate run name '" + f.name + "'");
    runs.push_back(BuildRun(f, defaults, base));
  }
  return runs;
}

CompareRun ParseRunFlag(const std::string& text, const CompareDefaults& flags) {
  const std::vector<std::string> parts = SplitColons(text);
  const Fail fail = FlagFail(flags.run_option);
  if (parts.size() < 3 || parts.size() > 6) {
    fail("", "expected NAME:MODEL:TOKENS[:CLUSTER[:GPUS[:DTYPE]]], got '" + text + "'");
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) fail("", "empty field " + std::to_string(i + 1) + " in '" + text + "'");
  }
  RunFields f;
  f.fail = fail;
  f.name = parts[0];
  f.label = "run '" + f.name + "'";
  f.cluster_hint = "add :CLUSTER to " + flags.run_option + " or pass " + flags.cluster_option;
  f.gpus_hint = "add :GPUS to " + flags.run_option + " or pass " + flags.gpus_option;
  f.model = {parts[1], fail};
  const std::optional<double> tokens = ParseSuffixedNumber(parts[2]);
  if (!tokens) {
    fail("", "TOKENS must be a positive number such as 300e9 or 1.4T, got '" + parts[2] + "'");
  }
  f.tokens = {*tokens, fail};
  if (parts.size() >= 4) f.cluster = Sourced<std::string>{parts[3], fail};
  if (parts.size() == 6) f.dtype = Sourced<std::string>{parts[5], fail};
  if (parts.size() >= 5) {
    int64_t gpus = 0;
    const std::string& g = parts[4];
    const auto [ptr, ec] = std::from_chars(g.data(), g.data() + g.size(), gpus);
    if (ec != std::errc() || ptr != g.data() + g.size()) {
      fail("", "GPUS must be a positive integer, got '" + g + "'");
    }
    f.gpus = Sourced<int64_t>{gpus, fail};
  }
  Defaults d;
  if (flags.cluster)
    d.cluster = Sourced<std::string>{*flags.cluster, FlagFail(flags.cluster_option)};
  if (flags.gpus) d.gpus = Sourced<int64_t>{*flags.gpus, FlagFail(flags.gpus_option)};
  d.batch_tokens = flags.global_batch_tokens;
  if (flags.dtype) d.dtype = Sourced<std::string>{*flags.dtype, FlagFail(flags.dtype_option)};
  return BuildRun(f, d, "");
}

}  // namespace planner
