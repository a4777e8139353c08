#include "planner/cli/search_flags.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "planner/core/limits.h"
#include "planner/core/units.h"
#include "planner/io/input_error.h"

namespace planner {
namespace {

// The degree flags, in the order the output repeats them.
constexpr const char* kDegreeFlags[] = {"tp", "pp", "cp", "ep", "etp", "vpp", "micro-batch"};

std::vector<std::string> SplitCommas(const std::string& flag, const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) items.push_back(item);
  if (items.empty() || text.back() == ',' ||
      std::any_of(items.begin(), items.end(), [](const std::string& i) { return i.empty(); })) {
    throw InputError("--" + flag,
                     "must be a value or a comma-separated list such as 4,8, got '" + text + "'");
  }
  return items;
}

std::vector<int64_t> DegreeList(const po::variables_map& vm, const std::string& flag,
                                int64_t min_value) {
  std::vector<int64_t> out;
  const std::string text = vm[flag].as<std::string>();
  for (const std::string& item : SplitCommas(flag, text)) {
    const bool digits =
        item.size() <= 8 && item.find_first_not_of("0123456789") == std::string::npos;
    const int64_t v = digits ? std::stoll(item) : -1;
    if (v < min_value || v > kMaxGpus) {
      throw InputError(
          "--" + flag,
          "must be " + std::string(min_value == 0 ? "a whole number" : "a positive whole number") +
              " or a comma-separated list such as 4,8, got '" + item + "'");
    }
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

template <class E>
std::vector<E> EnumList(const po::variables_map& vm, const std::string& flag,
                        const std::vector<std::pair<std::string, E>>& values) {
  std::vector<E> out;
  for (const std::string& item : SplitCommas(flag, vm[flag].as<std::string>())) {
    const E v = ParseEnumFlag(flag, item, values);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

// "10%" (of the usable HBM) or "4GiB" (also MiB); "0" for none.
void ParseHeadroom(const std::string& text, SearchSpace* space) {
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = used > 0 ? text.substr(used) : "";
  const bool number_ok = used > 0 && std::isfinite(v) && v >= 0;
  if (number_ok && unit == "%" && v < 100) {
    space->headroom_fraction = v / 100;
  } else if (number_ok && unit == "GiB") {
    space->headroom_bytes = GiBToBytes(v);
  } else if (number_ok && unit == "MiB") {
    space->headroom_bytes = GiBToBytes(v / 1024);
  } else if (number_ok && v == 0 && unit.empty()) {
    return;
  } else {
    throw InputError("--memory-headroom",
                     "must be a share of the usable memory below 100% such as 10%, or an amount "
                     "such as 4GiB or 512MiB, got '" +
                         text + "'");
  }
}

// A fixed degree must be one the enumeration can produce, else nothing would be searched and the
// answer would blame memory or the batch.
void CheckDivides(const std::string& flag, const std::vector<int64_t>& values, int64_t n,
                  const std::string& what) {
  for (int64_t v : values) {
    if (n % v != 0) {
      throw InputError("--" + flag, std::to_string(v) + " does not divide " + what + " (" +
                                        std::to_string(n) + ")");
    }
  }
}

void ApplyDegrees(const po::variables_map& vm, const ModelSpec& m, const ClusterSpec& c,
                  SearchSpace* s) {
  const auto list = [&](const char* flag) {
    return vm.count(flag) ? DegreeList(vm, flag, 1) : std::vector<int64_t>{};
  };
  s->tp = list("tp");
  s->pp = list("pp");
  s->cp = list("cp");
  s->ep = list("ep");
  if (vm.count("etp")) s->etp = DegreeList(vm, "etp", 0);
  s->vpp = list("vpp");
  s->micro_batch = list("micro-batch");
  const std::string gpus = "the GPU count";
  CheckDivides("tp", s->tp, c.total_gpus(), gpus);
  CheckDivides("pp", s->pp, c.total_gpus(), gpus);
  CheckDivides("cp", s->cp, c.total_gpus(), gpus);
  if (!m.is_moe() && !(s->ep.size() == 1 && s->ep[0] == 1) && !s->ep.empty()) {
    throw InputError("--ep", m.name + " has no experts: expert parallelism needs an MoE model");
  }
  if (m.is_moe()) CheckDivides("ep", s->ep, m.moe.n_experts, "the number of experts");
  if (!m.is_moe() && std::any_of(s->etp.begin(), s->etp.end(), [](int64_t v) { return v != 0; })) {
    throw InputError("--etp", m.name +
                                  " has no experts: expert tensor parallelism needs an MoE "
                                  "model");
  }
  CheckDivides("vpp", s->vpp, m.n_layers, "the number of layers");
  CheckDivides("micro-batch", s->micro_batch, s->global_batch, "the global batch");
  for (int64_t v : s->vpp) {
    if (v > s->max_vpp) s->max_vpp = v;  // asked for explicitly: beyond the default cap
  }
}

void ApplyStages(const po::variables_map& vm, const ClusterSpec& c, SearchSpace* s) {
  if (vm.count("zero")) {
    s->zero_stages.clear();
    for (int64_t z : DegreeList(vm, "zero", 0)) {
      if (z > 3) throw InputError("--zero", "must be 0, 1, 2 or 3, got " + std::to_string(z));
      s->zero_stages.push_back(static_cast<int>(z));
    }
  }
  if (vm.count("max-zero")) {
    const int64_t max_zero = vm["max-zero"].as<int64_t>();
    if (max_zero < 0 || max_zero > 3) {
      throw InputError("--max-zero", "must be 0, 1, 2 or 3, got " + std::to_string(max_zero));
    }
    std::erase_if(s->zero_stages, [&](int z) { return z > max_zero; });
    if (s->zero_stages.empty()) {
      throw InputError("--max-zero", "excludes every stage --zero allows");
    }
  }
  if (vm.count("recompute")) {
    s->recomputes = EnumList<Recompute>(vm, "recompute", Choices(kRecomputeNames));
  }
  if (vm.count("dtype")) {
    s->dtypes = EnumList<Dtype>(vm, "dtype", Choices(kDtypeNames, kTrainingDtypes));
    // Said as explain says it, not as "nothing fits" after a search that could find nothing.
    for (Dtype d : s->dtypes) {
      if (c.gpu.peak(d) <= 0) {
        throw InputError("--dtype", UnsupportedDtypeText(d, c.gpu));
      }
    }
  }
}

}  // namespace

void AddSearchConstraintOptions(po::options_description* options) {
  const auto list = [](const char* what) {
    return std::string(what) + ": one value or a list such as 4,8 (default: every one that fits)";
  };
  options->add_options()("tp", po::value<std::string>(), list("tensor-parallel degrees").c_str())(
      "pp", po::value<std::string>(), list("pipeline stages").c_str())(
      "cp", po::value<std::string>(), list("context-parallel degrees (--cp 1: no CP)").c_str())(
      "ep", po::value<std::string>(), list("expert-parallel degrees (MoE)").c_str())(
      "etp", po::value<std::string>(),
      "expert tensor-parallel degrees (MoE), 0 for the same as tp: one value or a list such as "
      "0,1 (default: 0, and 1 where tp > 1)")("vpp", po::value<std::string>(),
                                              list("virtual stages per GPU").c_str())(
      "micro-batch", po::value<std::string>(), list("sequences per micro-batch").c_str())(
      "zero", po::value<std::string>(), list("ZeRO stages 0-3").c_str())(
      "max-zero", po::value<int64_t>(), "highest ZeRO stage to consider (0-3)")(
      "recompute", po::value<std::string>(),
      "activation recomputation: none, selective, full or a list (default: all three)")(
      "dtype", po::value<std::string>(),
      "compute dtype: bf16, fp16, fp8, fp4 (NVFP4, Blackwell) or a list [bf16]")(
      "memory-headroom", po::value<std::string>(),
      "memory to keep free on each GPU: a share of the usable HBM (10%) or an amount (4GiB)");
}

void ApplySearchConstraints(const po::variables_map& vm, const ModelSpec& m, const ClusterSpec& c,
                            SearchSpace* space) {
  ApplyDegrees(vm, m, c, space);
  ApplyStages(vm, c, space);
  if (vm.count("memory-headroom")) {
    ParseHeadroom(vm["memory-headroom"].as<std::string>(), space);
  }
}

std::string SearchConstraintsText(const po::variables_map& vm) {
  std::string text;
  const auto add = [&](const std::string& flag, const std::string& value) {
    text += (text.empty() ? "--" : " --") + flag + " " + value;
  };
  for (const char* flag : kDegreeFlags) {
    if (vm.count(flag)) add(flag, vm[flag].as<std::string>());
  }
  for (const char* flag : {"zero", "recompute", "dtype", "memory-headroom"}) {
    if (vm.count(flag)) add(flag, vm[flag].as<std::string>());
  }
  if (vm.count("max-zero")) add("max-zero", std::to_string(vm["max-zero"].as<int64_t>()));
  return text;
}

}  // namespace planner
