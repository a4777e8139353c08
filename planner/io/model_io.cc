#include "planner/io/model_io.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "planner/io/input_error.h"
#include "planner/io/presets.h"

namespace planner {
namespace {

const std::vector<std::string> kModelKeys = {
    "name",
    "n_layers",
    "d_model",
    "n_heads",
    "n_kv_heads",
    "head_dim",
    "d_ff",
    "vocab_size",
    "seq_len",
    "position",
    "max_position_embeddings",
    "mlp",
    "norm",
    "norms_per_layer",
    "final_norm",
    "embedding_norm",
    "parallel_attn_mlp",
    "tied_embeddings",
    "lm_head",
    "biases",
    "moe",
    "mla",
    "qk_norm",
    "window",
    "hybrid_pattern",
    "mamba",
    "csa",
    "hyper_connections",
    "mtp_modules",
    "mtp_shared_weights",
    "attention_sinks",
    "token_type_vocab_size",
    "pooler",
    "word_embed_proj_dim",
    "training"};  // what a run trains on: planner/io/training_io.h reads it

// One integer key of a model sub-block (mla, mamba, csa): required, or what it takes unstated.
template <class S>
struct IntKey {
  const char* key;
  int64_t S::*member;
  std::optional<int64_t> unstated = std::nullopt;  // nullopt: required
};

// Reads `block`'s integer keys in table order (so a missing required key is reported as before);
// `extra` names the block's other keys, read by the caller from the returned map.
template <class S, std::size_t N>
std::optional<StrictMap> ReadIntBlock(const StrictMap& m, const std::string& block,
                                      const IntKey<S> (&keys)[N], S* s,
                                      std::vector<std::string> extra = {}) {
  if (!m.Has(block)) return std::nullopt;
  std::vector<std::string> allowed;
  for (const IntKey<S>& k : keys) allowed.push_back(k.key);
  allowed.insert(allowed.end(), extra.begin(), extra.end());
  StrictMap b = m.Map(block, allowed);
  for (const IntKey<S>& k : keys) {
    s->*k.member = k.unstated ? b.OptInt(k.key).value_or(*k.unstated) : b.Int(k.key);
  }
  return b;
}

constexpr IntKey<MlaSpec> kMlaKeys[] = {{"q_lora_rank", &MlaSpec::q_lora_rank, 0},
                                        {"kv_lora_rank", &MlaSpec::kv_lora_rank},
                                        {"qk_nope_head_dim", &MlaSpec::qk_nope_head_dim},
                                        {"qk_rope_head_dim", &MlaSpec::qk_rope_head_dim},
                                        {"v_head_dim", &MlaSpec::v_head_dim}};

// Nemotron-H's keys: hybrid_override_pattern, mamba_num_heads, mamba_head_dim, ssm_state_size,
// n_groups, conv_kernel, chunk_size (config.json).
constexpr IntKey<MambaSpec> kMambaKeys[] = {{"n_heads", &MambaSpec::n_heads},
                                            {"head_dim", &MambaSpec::head_dim},
                                            {"state_size", &MambaSpec::state_size},
                                            {"n_groups", &MambaSpec::n_groups, 1},
                                            {"conv_kernel", &MambaSpec::conv_kernel, 4},
                                            {"chunk_size", &MambaSpec::chunk_size, 128}};

// DeepSeek-V4's config.json: q_lora_rank, o_lora_rank, o_groups, sliding_window,
// compress_ratios (read apart: a list), index_n_heads, index_head_dim, index_topk.
constexpr IntKey<CsaSpec> kCsaKeys[] = {{"q_lora_rank", &CsaSpec::q_lora_rank},
                                        {"o_lora_rank", &CsaSpec::o_lora_rank},
                                        {"o_groups", &CsaSpec::o_groups},
                                        {"sliding_window", &CsaSpec::sliding_window},
                                        {"index_n_heads", &CsaSpec::index_n_heads, 0},
                                        {"index_head_dim", &CsaSpec::index_head_dim, 0},
                                        {"index_topk", &CsaSpec::index_topk, 0}};

void ReadBiases(const StrictMap& m, Biases* b) {
  if (!m.Has("biases")) return;
  const StrictMap bm = m.Map("biases", {"qkv", "attn_out", "mlp", "lm_head"});
  b->qkv = bm.Bool("qkv", false);
  b->attn_out = bm.Bool("attn_out", false);
  b->mlp = bm.Bool("mlp", false);
  b->lm_head = bm.Bool("lm_head", false);
}

void ReadMoe(const StrictMap& m, MoeSpec* moe) {
  if (!m.Has("moe")) return;
  const StrictMap mm = m.Map("moe", {"n_experts", "top_k", "d_ff_expert", "n_shared_experts",
                                     "d_ff_shared", "first_dense_layers", "every", "router_bias",
                                     "max_nodes_per_token", "load_imbalance", "latent_size"});
  moe->n_experts = mm.Int("n_experts");
  moe->top_k = mm.Int("top_k");
  moe->d_ff_expert = mm.OptInt("d_ff_expert").value_or(0);
  moe->n_shared_experts = mm.OptInt("n_shared_experts").value_or(0);
  moe->d_ff_shared = mm.OptInt("d_ff_shared").value_or(0);
  moe->first_dense_layers = mm.OptInt("first_dense_layers").value_or(0);
  moe->every = mm.OptInt("every").value_or(1);
  moe->router_bias = mm.Bool("router_bias", false);
  moe->max_nodes_per_token = mm.OptInt("max_nodes_per_token").value_or(0);
  moe->load_imbalance = mm.OptDouble("load_imbalance").value_or(1.0);
  moe->latent_size = mm.OptInt("latent_size").value_or(0);
  // An explicit width must be usable: 0 would silently mean "unset".
  for (const char* key : {"d_ff_expert", "d_ff_shared", "latent_size"}) {
    if (auto v = mm.OptInt(key); v && *v <= 0) {
      mm.Fail(key, std::string("moe.") + key + " must be a positive integer, got " +
                       std::to_string(*v));
    }
  }
}

void ReadMla(const StrictMap& m, MlaSpec* mla) { ReadIntBlock(m, "mla", kMlaKeys, mla); }

void ReadWindow(const StrictMap& m, WindowSpec* w) {
  if (!m.Has("window")) return;
  const StrictMap wm = m.Map("window", {"size", "local_per_global", "kind"});
  w->size = wm.Int("size");
  if (w->size <= 0) {
    wm.Fail("size", "window.size must be a positive integer, got " + std::to_string(w->size));
  }
  w->local_per_global = wm.OptInt("local_per_global").value_or(0);
  if (wm.Has("kind")) {
    w->kind = wm.Enum<WindowKind>("kind", kWindowKindNames);
  }
}

void ReadMamba(const StrictMap& m, MambaSpec* mamba) {
  ReadIntBlock(m, "mamba", kMambaKeys, mamba);
}

void ReadCsa(const StrictMap& m, CsaSpec* csa) {
  const std::optional<StrictMap> block = ReadIntBlock(m, "csa", kCsaKeys, csa, {"compress_ratios"});
  if (!block) return;
  const StrictMap& cm = *block;
  if (!cm.Has("compress_ratios") || !cm.Value("compress_ratios").IsSequence() ||
      cm.Value("compress_ratios").size() == 0) {
    cm.Fail("compress_ratios", "csa.compress_ratios must be a list of one ratio per layer");
  }
  for (const YAML::Node& r : cm.Value("compress_ratios")) {
    csa->compress_ratios.push_back(ToInt(m.file(), r, "csa.compress_ratios"));
  }
}

// Points a validation error at the key it names; "moe.top_k" points into the moe mapping.
[[noreturn]] void FailValidation(const StrictMap& m, const SpecError& e) {
  const size_t dot = e.key.find('.');
  if (dot != std::string::npos && m.Has(e.key.substr(0, dot))) {
    const YAML::Node& sub = m.Value(e.key.substr(0, dot));
    const std::string leaf = e.key.substr(dot + 1);
    if (sub.IsMap() && sub[leaf]) FailAt(m.file(), sub[leaf], e.message);
    FailAt(m.file(), sub, e.message);
  }
  m.Fail(e.key, e.message);
}

}  // namespace

ModelSpec ReadModelSpec(const YamlDoc& doc) {
  if (doc.root.IsMap() && doc.root["gpu"] && doc.root["network"]) {
    throw InputError(doc.file, "this is a cluster spec (it has 'gpu' and 'network') where a model "
                               "is expected; are MODEL and CLUSTER swapped? (see --help)");
  }
  const StrictMap m(doc.file, doc.root, kModelKeys, "model spec");
  ModelSpec s;
  s.name = m.String("name");
  s.n_layers = m.Int("n_layers");
  s.d_model = m.Int("d_model");
  s.n_heads = m.Int("n_heads");
  s.n_kv_heads = m.OptInt("n_kv_heads").value_or(s.n_heads);
  s.d_ff = m.Int("d_ff");
  s.vocab_size = m.Int("vocab_size");
  s.seq_len = m.Int("seq_len");
  s.position = m.Enum<Position>("position", kPositionNames);
  s.max_position_embeddings = m.OptInt("max_position_embeddings").value_or(0);
  s.mlp = m.Enum<MlpKind>("mlp", kMlpKindNames);
  s.norm = m.Enum<NormKind>("norm", kNormKindNames);
  s.hybrid_pattern = m.OptString("hybrid_pattern").value_or("");
  // A hybrid model's layer is one block: one norm before its one sublayer.
  s.norms_per_layer = m.OptInt("norms_per_layer").value_or(s.is_hybrid() ? 1 : 2);
  s.final_norm = m.Bool("final_norm", true);
  s.embedding_norm = m.Bool("embedding_norm", false);
  s.parallel_attn_mlp = m.Bool("parallel_attn_mlp", false);
  s.tied_embeddings = m.Bool("tied_embeddings");
  s.lm_head = m.Bool("lm_head", true);
  ReadBiases(m, &s.biases);
  ReadMoe(m, &s.moe);
  ReadMla(m, &s.mla);
  if (m.Has("qk_norm")) {
    s.qk_norm = m.Enum<QkNorm>("qk_norm", kQkNormNames);
  }
  ReadWindow(m, &s.window);
  ReadMamba(m, &s.mamba);
  ReadCsa(m, &s.csa);
  s.hyper_connections = m.OptInt("hyper_connections").value_or(1);
  s.mtp_modules = m.OptInt("mtp_modules").value_or(0);
  s.mtp_shared_weights = m.Bool("mtp_shared_weights", false);
  s.attention_sinks = m.Bool("attention_sinks", false);
  s.token_type_vocab_size = m.OptInt("token_type_vocab_size").value_or(0);
  s.pooler = m.Bool("pooler", false);
  s.word_embed_proj_dim = m.OptInt("word_embed_proj_dim").value_or(0);

  if (auto hd = m.OptInt("head_dim")) {
    s.head_dim = *hd;
  } else if (s.is_mla()) {
    s.head_dim = s.mla.qk_nope_head_dim + s.mla.qk_rope_head_dim;  // the query/key head width
  } else {
    if (s.n_heads > 0 && s.d_model % s.n_heads != 0) {
      m.Fail("n_heads", "d_model (" + std::to_string(s.d_model) +
                            ") is not divisible by n_heads (" + std::to_string(s.n_heads) +
                            "); give head_dim explicitly");
    }
    s.head_dim = s.n_heads > 0 ? s.d_model / s.n_heads : 0;
  }
  if (auto e = Validate(s)) FailValidation(m, *e);
  return s;
}

ModelSpec LoadModel(const std::string& arg) { return ReadModelSpec(LoadSpecDoc("models", arg)); }

}  // namespace planner
