#include "planner/io/model_io.h"

#include "planner/io/presets.h"

namespace planner {
namespace {

const std::vector<std::string> kModelKeys = {
    "name", "n_layers", "d_model", "n_heads", "n_kv_heads", "head_dim", "d_ff", "vocab_size",
    "seq_len", "position", "max_position_embeddings", "mlp", "norm", "norms_per_layer",
    "final_norm", "embedding_norm", "parallel_attn_mlp", "tied_embeddings", "lm_head", "biases",
    "moe", "token_type_vocab_size", "pooler", "word_embed_proj_dim"};

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
  const StrictMap mm = m.Map("moe", {"n_experts", "top_k"});
  moe->n_experts = mm.Int("n_experts");
  moe->top_k = mm.Int("top_k");
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
  s.position = m.Enum<Position>("position", {{"learned", Position::kLearned},
                                             {"rope", Position::kRope},
                                             {"alibi", Position::kAlibi},
                                             {"none", Position::kNone}});
  s.max_position_embeddings = m.OptInt("max_position_embeddings").value_or(0);
  s.mlp = m.Enum<MlpKind>("mlp", {{"gelu", MlpKind::kGelu},
                                  {"relu", MlpKind::kRelu},
                                  {"swiglu", MlpKind::kSwiglu},
                                  {"geglu", MlpKind::kGeglu}});
  s.norm = m.Enum<NormKind>("norm", {{"layernorm", NormKind::kLayerNorm},
                                     {"rmsnorm", NormKind::kRmsNorm}});
  s.norms_per_layer = m.OptInt("norms_per_layer").value_or(2);
  s.final_norm = m.Bool("final_norm", true);
  s.embedding_norm = m.Bool("embedding_norm", false);
  s.parallel_attn_mlp = m.Bool("parallel_attn_mlp", false);
  s.tied_embeddings = m.Bool("tied_embeddings");
  s.lm_head = m.Bool("lm_head", true);
  ReadBiases(m, &s.biases);
  ReadMoe(m, &s.moe);
  s.token_type_vocab_size = m.OptInt("token_type_vocab_size").value_or(0);
  s.pooler = m.Bool("pooler", false);
  s.word_embed_proj_dim = m.OptInt("word_embed_proj_dim").value_or(0);

  if (auto hd = m.OptInt("head_dim")) {
    s.head_dim = *hd;
  } else {
    if (s.n_heads > 0 && s.d_model % s.n_heads != 0) {
      m.Fail("n_heads", "d_model (" + std::to_string(s.d_model) + ") is not divisible by n_heads (" +
                            std::to_string(s.n_heads) + "); give head_dim explicitly");
    }
    s.head_dim = s.n_heads > 0 ? s.d_model / s.n_heads : 0;
  }
  if (auto e = Validate(s)) FailValidation(m, *e);
  return s;
}

ModelSpec LoadModel(const std::string& arg) { return ReadModelSpec(LoadSpecDoc("models", arg)); }

}  // namespace planner
