#include "planner/io/record_defaults.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <regex>

namespace planner {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool Has(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

// Whether the lowercased text has one of `any` as a word: a run of letters and digits
// ("checkpoint_activations" is two words).
bool HasWord(const std::string& lower, std::initializer_list<const char*> any) {
  const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (auto at = lower.begin(); at != lower.end();) {
    const auto first = std::find_if(at, lower.end(), alnum);
    at = std::find_if_not(first, lower.end(), alnum);
    const std::string word(first, at);
    for (const char* w : any) {
      if (word == w) return true;
    }
  }
  return false;
}

// The first year 2015-2039 the text names, or 0.
int FirstYear(const std::string& text) {
  static const std::regex year(R"((20[1-3][0-9]))");
  std::smatch m;
  return std::regex_search(text, m, year) ? std::stoi(m[1]) : 0;
}

// The year of a container release named YY.MM ("NeMo Megatron 22.08" -> 2022), or 0.
int ReleaseYear(const std::string& text) {
  static const std::regex release(R"(\b(2[0-9])\.(0[1-9]|1[0-2])\b)");
  std::smatch m;
  return std::regex_search(text, m, release) ? 2000 + std::stoi(m[1]) : 0;
}

}  // namespace

int FrameworkYear(const std::string& framework, const std::string& source) {
  if (int year = FirstYear(framework)) return year;
  if (int year = ReleaseYear(framework)) return year;
  return FirstYear(source);
}

bool TorchtitanCompilesLoss(const std::string& framework, const std::string& source) {
  return FrameworkYear(framework, source) >= 2025;
}

std::string StackForFramework(const std::string& framework, const std::string& source) {
  // Spaces and underscores read as hyphens: "Megatron DeepSpeed", "llm_foundry", "Megatron Core".
  std::string f = Lower(framework);
  std::replace_if(
      f.begin(), f.end(), [](char c) { return c == ' ' || c == '_'; }, '-');
  // Megatron's model code under DeepSpeed's engine, however it is spelt ("Megatron + DeepSpeed",
  // "DeepSpeed-Megatron"), before DeepSpeed alone.
  if (Has(f, "megatron") && Has(f, "deepspeed") && !Has(f, "torchtitan")) {
    return "megatron-deepspeed";
  }
  // Most specific first: GPT-NeoX (Megatron + DeepSpeed) names neither.
  // NeMo AutoModel (FSDP2 around Hugging Face models) before NeMo, whose other stacks are
  // Megatron's.
  const std::pair<const char*, const char*> names[] = {{"torchtitan", "torchtitan"},
                                                       {"automodel", "automodel"},
                                                       {"gpt-neox", "megatron-deepspeed"},
                                                       {"gptneox", "megatron-deepspeed"},
                                                       {"deepspeed", nullptr},  // by its year
                                                       {"nemo", nullptr},       // by its year
                                                       {"megatron-core", "megatron-core"},
                                                       {"megatron-bridge", "megatron-core"},
                                                       {"composer", "llm-foundry"},
                                                       {"llm-foundry", "llm-foundry"},
                                                       {"metaseq", "fsdp"},
                                                       {"fsdp", "fsdp"},
                                                       {"hai-llm", "hai-llm"}};
  for (const auto& [part, stack] : names) {
    if (!Has(f, part)) continue;
    if (stack != nullptr) return stack;
    const int year = FrameworkYear(framework, source);
    // DeepSpeed before v0.5.6 (c0eeb69, 2021-10-31) gathered ZeRO-3 parameters one at a time.
    if (std::string(part) == "deepspeed") {
      return year != 0 && year <= 2021 ? "deepspeed-2021" : "deepspeed";
    }
    // NeMo Megatron of 2022 (releases 22.xx, NeMo 1.x) ran its Apex port of Megatron-LM, without
    // Transformer Engine or Megatron-Core, which NeMo took up in 2023.
    return year != 0 && year <= 2022 ? "megatron-lm" : "megatron-core";
  }
  if (Has(f, "megatron") || (f.empty() && Has(Lower(source), "megatron"))) {
    // Sequence parallelism and selective recompute arrived in 2022 (Korthikanti et al.); the
    // SC21 code (Narayanan et al. 2021) and earlier is megatron-lm-sc21. From 2024 Megatron-LM's
    // training scripts build Megatron-Core models (--use-mcore-models, then the default).
    const int year = FrameworkYear(framework, source);
    if (year >= 2024) return "megatron-core";
    return year != 0 && year <= 2021 ? "megatron-lm-sc21" : "megatron-lm";
  }
  return "";
}

std::string PrimaryMetricKey(const std::vector<std::string>& present) {
  for (const char* key :
       {"iteration_time_s", "tokens_per_sec", "tokens_per_sec_per_gpu", "tflops_per_gpu",
        "model_tflops_per_gpu", "mfu_pct", "pct_of_peak", "hfu_pct", "aggregate_pflops"}) {
    if (std::find(present.begin(), present.end(), key) != present.end()) return key;
  }
  return "";
}

std::string AccountingForFormula(const std::string& formula) {
  std::string f = Lower(formula);
  f.erase(std::remove(f.begin(), f.end(), ' '), f.end());  // "12 * L" reads as "12*l"
  // Megatron-Core first: its texts say "no recompute", which the Megatron rule below reads.
  if (Has(f, "megatron-core") || Has(f, "num_floating_point_operations")) return "megatron-core";
  // Megatron's logged TFLOP/s count the recomputed forward (Narayanan et al. 2021, Eq. 3).
  const bool with_recompute =
      Has(f, "recompute") && !Has(f, "norecompute") && !Has(f, "withoutrecompute");
  if (Has(f, "narayanan") || Has(f, "96*b") || Has(f, "eq.3") ||
      (Has(f, "megatron") && with_recompute)) {
    return "narayanan";
  }
  if (Has(f, "korthikanti") || Has(f, "72*b")) return "korthikanti";
  // PaLM's 6N + 12 L H Q T per token, in whatever letters (torchtitan, nanoGPT).
  if (Has(f, "palm") || Has(f, "chowdhery") || Has(f, "mosaicml") || Has(f, "+12*l")) {
    return "palm";
  }
  return "6nd";
}

bool AttentionTextIsFused(const std::string& attention) {
  const std::string a = Lower(attention);
  for (const char* unfused : {"standard", "unfused", "eager", "math", "torch"}) {
    if (a.rfind(unfused, 0) == 0) return false;
  }
  if (Has(a, "no flash") || Has(a, "without flash")) return false;
  return Has(a, "flash") || Has(a, "sdpa") || Has(a, "cudnn") || Has(a, "fused attention");
}

Dtype DtypeInText(const std::string& text) {
  const std::string t = Lower(text);
  // Before fp8: NVFP4 texts name its E4M3 block scales.
  if (Has(t, "fp4") || Has(t, "e2m1")) return Dtype::kFp4;
  if (Has(t, "fp8") || Has(t, "float8") || Has(t, "e4m3")) return Dtype::kFp8;
  if (Has(t, "bf16") || Has(t, "bfloat16")) return Dtype::kBf16;
  return Has(t, "fp16") || Has(t, "float16") ? Dtype::kFp16 : Dtype::kBf16;
}

std::optional<Recompute> RecomputeInText(const std::string& text) {
  const std::string t = Lower(text);
  if (t.rfind("full", 0) == 0) return Recompute::kFull;
  if (t.rfind("selective", 0) == 0) return Recompute::kSelective;
  if (t.rfind("none", 0) == 0) return Recompute::kNone;
  if (HasWord(t, {"selective", "sac"})) return Recompute::kSelective;
  if (HasWord(t, {"no", "not", "none", "without", "false", "off", "disabled", "0"})) {
    return Recompute::kNone;
  }
  if (HasWord(t, {"full", "yes", "true", "on", "enabled", "checkpoint", "checkpointing",
                  "checkpointed", "recompute", "recomputation", "recomputed", "uniform"})) {
    return Recompute::kFull;
  }
  return std::nullopt;
}

std::optional<NotesMoe> MoeInNotes(const std::string& notes) {
  // The patterns are compiled once: a runs file reads this for every MoE record, twice.
  const auto pattern = [](const char* key) {
    return std::regex(std::string("\\b") + key + R"(\s*[=:]\s*([0-9]{1,7}))");
  };
  static const std::regex n_experts = pattern("n_experts"), top_k = pattern("top_k"),
                          d_ff_expert = pattern("d_ff_expert"),
                          shared_experts = pattern("shared_experts"),
                          dense_layers = pattern("dense_layers"),
                          dense_d_ff = pattern("dense_d_ff");
  const auto number = [&notes](const std::regex& key) -> int64_t {
    std::smatch m;
    return std::regex_search(notes, m, key) ? std::stoll(m[1]) : 0;
  };
  NotesMoe e;
  e.n_experts = number(n_experts);
  e.top_k = number(top_k);
  if (e.n_experts <= 0 || e.top_k <= 0) return std::nullopt;
  e.d_ff_expert = number(d_ff_expert);
  e.shared_experts = number(shared_experts);
  e.dense_layers = number(dense_layers);
  e.dense_d_ff = number(dense_d_ff);
  return e;
}

std::optional<double> PowerLimitInGpuText(const std::string& gpu) {
  static const std::regex limit(R"(([0-9]+(\.[0-9]+)?) ?W power limit)", std::regex::icase);
  std::smatch m;
  if (!std::regex_search(gpu, m, limit)) return std::nullopt;
  return std::stod(m[1]);
}

std::optional<double> HbmGbInGpuText(const std::string& gpu) {
  static const std::regex size(R"((^|[^0-9.])([0-9]{2,3}) ?GB($|[^0-9A-Za-z/]))");
  std::smatch m;
  if (!std::regex_search(gpu, m, size)) return std::nullopt;
  return std::stod(m[2]);
}

std::optional<double> ScaleOutGBpsPerGpu(const std::string& interconnect, int64_t gpus_per_node) {
  static const std::regex rate(R"(([0-9]+(\.[0-9]+)?) ?(gb/s|gbps|gbit/s|gb\b))");
  static const std::regex generation(R"(\b(edr|hdr|ndr|xdr)\b)");
  static const std::regex times(R"(\b([0-9]+) ?x\b)");
  std::string text = Lower(interconnect);
  std::replace(text.begin(), text.end(), ',', ';');
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t end = std::min(text.find(';', begin), text.size());
    const std::string clause = text.substr(begin, end - begin);
    begin = end + 1;
    if (Has(clause, "nvlink") || Has(clause, "nvswitch") || Has(clause, "intra")) continue;
    std::smatch m;
    double gbps = 0;
    if (std::regex_search(clause, m, rate)) {
      gbps = std::stod(m[1]);
    } else if (std::regex_search(clause, m, generation)) {
      gbps = m[1] == "edr" ? 100 : m[1] == "hdr" ? 200 : m[1] == "ndr" ? 400 : 800;
    } else {
      continue;
    }
    const bool multiplied = std::regex_search(clause, m, times);
    const double links = multiplied ? std::stod(m[1]) : 1;
    const double GBps = links * gbps / 8;  // bits to bytes
    if (Has(clause, "per gpu")) return GBps;
    const bool per_node = multiplied || Has(clause, "per node") || Has(clause, "node-node") ||
                          Has(clause, "per host") || Has(clause, "per server") ||
                          Has(clause, "per instance") || Has(clause, "per dgx");
    if (per_node && gpus_per_node > 0) return GBps / static_cast<double>(gpus_per_node);
  }
  return std::nullopt;
}

std::optional<int64_t> ShardGroupInFsdpText(const std::string& fsdp, int64_t node_group) {
  static const std::regex stated(
      R"((dp_shard|shard group|sharding_group_size)[ =:]*([0-9]{1,7})\b)", std::regex::icase);
  std::smatch m;
  if (std::regex_search(fsdp, m, stated)) return std::stoll(m[2]);
  const std::string f = Lower(fsdp);
  if (Has(f, "hybrid") || Has(f, "hsdp")) return node_group;
  return std::nullopt;
}

}  // namespace planner
