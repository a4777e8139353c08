// ModelSpec: the architecture of a transformer language model, exactly as the YAML model spec
// describes it (see configs/models/ and DESIGN.md). Pure data plus validation; no I/O.
#ifndef PLANNER_CORE_MODEL_SPEC_H_
#define PLANNER_CORE_MODEL_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/core/enum_names.h"

namespace planner {

// kRelative: Transformer-XL relative positions (Dai et al. 2019), as Gopher and Chinchilla use
// them: each layer projects the sinusoidal relative encodings with its own W_R (d_model x H*hd)
// and adds two learned bias vectors u, v (H*hd each) to the queries.
enum class Position { kLearned, kRope, kAlibi, kNone, kRelative };
enum class MlpKind { kGelu, kRelu, kSwiglu, kGeglu };
// kLayerNormNoBias: LayerNorm with a weight and no bias (DBRX), d parameters like RMSNorm.
enum class NormKind { kLayerNorm, kRmsNorm, kLayerNormNoBias };
// Normalisation of queries and keys before the scores: kPerHead normalises each head's
// head_dim-wide vector with one shared weight per projection (Qwen3: q_norm, k_norm of head_dim);
// kFull normalises the whole projection (OLMo 2: q_norm of H*hd, k_norm of KV*hd).
enum class QkNorm { kNone, kPerHead, kFull };
// A windowed layer attends to at most `size` keys: kSliding to the last `size` positions (Mistral,
// Gemma 2), kChunked within fixed blocks of `size` (Llama 4's chunked attention).
enum class WindowKind { kSliding, kChunked };

struct Biases {
  bool qkv = false;
  bool attn_out = false;
  bool mlp = false;
  bool lm_head = false;
};

// Mixture of experts. In each MoE layer the MLP becomes n_experts routed experts of width
// d_ff_expert, of which top_k run per token, chosen by a d_model x n_experts router (no bias;
// router_bias adds one per expert, DeepSeek-V3's e_score_correction_bias), plus n_shared_experts
// that every token runs (DeepSeekMoE, Llama 4). The first first_dense_layers layers keep the dense
// MLP of width d_ff; after them every `every`-th layer is MoE (Llama 4 Maverick: 2, the others 1),
// the rest dense. n_experts == 0: a dense model.
struct MoeSpec {
  int64_t n_experts = 0;
  int64_t top_k = 0;
  int64_t d_ff_expert = 0;  // routed expert width; 0 (unset): d_ff
  int64_t n_shared_experts = 0;
  int64_t d_ff_shared = 0;  // width of each shared expert; 0 (unset): d_ff_expert
  int64_t first_dense_layers = 0;
  int64_t every = 1;
  bool router_bias = false;
  // LatentMoE (Nemotron 3 Super; Megatron-Core's moe_latent_size): the routed experts work in a
  // latent width: each token is projected d_model -> latent_size before dispatch and back after
  // combine (two replicated linears per MoE layer), the experts run latent -> d_ff_expert ->
  // latent and the all-to-alls carry latent-wide tokens; the router and shared experts keep
  // d_model. 0: none.
  int64_t latent_size = 0;
  // Node-limited routing: each token goes to experts on at most this many nodes (DeepSeek-V3
  // sec. 3.2.2: 4 nodes; HF config.json topk_group with n_group = the EP group's nodes). 0: no
  // limit. It bounds the scale-out all-to-all traffic (moe_cost.h).
  int64_t max_nodes_per_token = 0;
  // Tokens the busiest expert-parallel rank receives over the mean: a stated factor (a measured
  // max/mean load ratio, or the capacity factor when tokens beyond it are dropped). 1: balanced.
  double load_imbalance = 1;
};

// Multi-head latent attention (DeepSeek-V2/V3). Queries go d_model -> q_lora_rank (normed) ->
// H*(qk_nope_head_dim + qk_rope_head_dim), or straight from d_model when q_lora_rank is 0
// (V2-Lite); keys and values go d_model -> kv_lora_rank + qk_rope_head_dim (the latent, normed, and
// one shared RoPE key) -> H*(qk_nope_head_dim + v_head_dim); the output is H*v_head_dim -> d_model.
// kv_lora_rank == 0: standard attention.
struct MlaSpec {
  int64_t q_lora_rank = 0;
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
};

// Mamba-2 mixer (Dao & Gu 2024, "Transformers are SSMs"; Megatron-Core's MambaMixer), the
// sequence mixer of hybrid models' 'M' layers: in_proj d_model -> 2 d_inner + 2 G N + H (the gate
// z, the input x, B and C shared by G groups of heads, one dt per head), a depthwise causal
// conv1d of conv_kernel taps (with bias) over x, B and C, per-head dt_bias, A_log and D, a gated
// RMSNorm of d_inner, out_proj d_inner -> d_model; d_inner = n_heads x head_dim. The scan runs
// as SSD's chunked matmuls over chunks of chunk_size tokens.
struct MambaSpec {
  int64_t n_heads = 0;
  int64_t head_dim = 0;
  int64_t state_size = 0;  // N
  int64_t n_groups = 1;    // G
  int64_t conv_kernel = 4;
  int64_t chunk_size = 128;
  int64_t d_inner() const { return n_heads * head_dim; }
  // in_proj's output width and the conv1d's channels.
  int64_t in_proj_width() const { return 2 * d_inner() + 2 * n_groups * state_size + n_heads; }
  int64_t conv_channels() const { return d_inner() + 2 * n_groups * state_size; }
};

// DeepSeek-V4's hybrid attention (Megatron-Core's DSv4HybridSelfAttention). Queries go d_model ->
// q_lora_rank (normed) -> n_heads x head_dim; one shared key/value head goes d_model -> head_dim
// (normed); the output is grouped low-rank: the heads in o_groups groups, each projected to
// o_lora_rank, then o_groups x o_lora_rank -> d_model; one attention-sink logit per head. Every
// layer attends to its last sliding_window positions and, by its compress ratio m
// (compress_ratios, one per layer, MTP layers after the model's): m = 0 nothing more; the
// smallest ratio in the list (CSA, 4 in V4) compresses keys m to 1 with overlapping windows (two
// head_dim-wide compressor projections of 2 x head_dim) and an indexer (index_n_heads of
// index_head_dim from the query latent, a d_model -> index_n_heads weight, its own compressor)
// scores the compressed keys and picks index_topk of them; larger ratios (HCA, 128) compress
// without overlap (projections of head_dim) and attend to every compressed key.
// compress_ratios empty: not this attention.
struct CsaSpec {
  int64_t q_lora_rank = 0;
  int64_t o_lora_rank = 0;
  int64_t o_groups = 0;
  int64_t sliding_window = 0;
  std::vector<int64_t> compress_ratios;
  int64_t index_n_heads = 0;
  int64_t index_head_dim = 0;
  int64_t index_topk = 0;
  // The ratio whose layers use the indexer (the smallest nonzero one), 0 when none.
  int64_t indexed_ratio() const;
};

// Local/global attention. size == 0: every layer global. Otherwise the layers repeat
// local_per_global windowed layers then one global layer (Gemma 2: 1, Llama 4: 3); 0 makes every
// layer windowed (Mistral 7B).
struct WindowSpec {
  int64_t size = 0;
  int64_t local_per_global = 0;
  WindowKind kind = WindowKind::kSliding;
};

struct ModelSpec {
  std::string name;
  int64_t n_layers = 0;
  int64_t d_model = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;  // == n_heads for MHA, < n_heads for GQA/MQA
  int64_t head_dim = 0;    // default d_model / n_heads
  int64_t d_ff = 0;        // per expert for MoE
  int64_t vocab_size = 0;
  int64_t seq_len = 0;                  // training sequence length
  int64_t max_position_embeddings = 0;  // rows of the learned position table (0 unless learned)
  Position position = Position::kLearned;
  MlpKind mlp = MlpKind::kGelu;
  NormKind norm = NormKind::kLayerNorm;
  int64_t norms_per_layer = 2;
  bool final_norm = true;
  bool embedding_norm = false;
  bool parallel_attn_mlp = false;
  bool tied_embeddings = true;
  bool lm_head = true;
  Biases biases;
  MoeSpec moe;
  MlaSpec mla;
  QkNorm qk_norm = QkNorm::kNone;
  WindowSpec window;
  // Hybrid models (Nemotron-H, Nemotron 3): Megatron-Core's hybrid layer pattern, one character
  // per layer, each layer one block (a norm, one sublayer, the residual): 'M' a Mamba-2 mixer,
  // '*' attention, '-' the dense MLP, 'E' the MoE MLP. Empty: every layer attention + MLP.
  std::string hybrid_pattern;
  MambaSpec mamba;
  CsaSpec csa;
  // Manifold-constrained hyper-connections (DeepSeek-V4's mHC): the residual stream is this many
  // d_model-wide streams, mixed around each sublayer by a small learned map (per token a
  // streams*d_model -> streams^2 + 2 streams projection and a Sinkhorn-normalised mix), read into
  // the sublayer as one weighted sum and written back to every stream. 1: a plain residual.
  int64_t hyper_connections = 1;
  // Multi-token prediction (DeepSeek-V3): each module adds two norms, a 2d x d projection, one
  // transformer layer and an output norm, sharing the embedding and head; counted apart from the
  // main model, as DeepSeek reports it.
  int64_t mtp_modules = 0;
  // The MTP modules apply one block's weights at every depth (Nemotron 3 Super's
  // mtp_use_repeated_layer): parameters counted once, the work mtp_modules times.
  bool mtp_shared_weights = false;
  // Attention sinks (GPT-OSS): one learned logit per query head and layer that every softmax row
  // also normalises over, n_heads parameters a layer. Their FLOPs (one more column per row) and
  // memory are below what the model counts.
  bool attention_sinks = false;
  int64_t token_type_vocab_size = 0;
  bool pooler = false;
  int64_t word_embed_proj_dim = 0;  // 0: embeddings are d_model wide

  bool is_moe() const { return moe.n_experts > 0; }
  bool is_hybrid() const { return !hybrid_pattern.empty(); }
  // What layer i of a hybrid model is ('M', '*', '-', 'E'); MTP layers (i >= n_layers) are
  // attention + MLP layers.
  char HybridKind(int64_t i) const {
    return is_hybrid() && i < static_cast<int64_t>(hybrid_pattern.size()) ? hybrid_pattern[i] : 0;
  }
  bool is_mla() const { return mla.kv_lora_rank > 0; }
  bool is_csa() const { return !csa.compress_ratios.empty(); }
  // Layer i's compress ratio (see CsaSpec; i >= n_layers are MTP layers, 0 past the list).
  int64_t CompressRatio(int64_t i) const {
    return i < static_cast<int64_t>(csa.compress_ratios.size()) ? csa.compress_ratios[i] : 0;
  }
  bool gated_mlp() const { return mlp == MlpKind::kSwiglu || mlp == MlpKind::kGeglu; }
  // With MLA, head_dim is the query/key head width qk_nope_head_dim + qk_rope_head_dim (ReadModel
  // and Validate see to it), so q_dim and kv_dim are the widths of the up-projected q and k.
  int64_t q_dim() const { return n_heads * head_dim; }
  int64_t kv_dim() const { return n_kv_heads * head_dim; }
  int64_t v_head_dim() const { return is_mla() ? mla.v_head_dim : head_dim; }
  int64_t d_ff_expert() const { return moe.d_ff_expert > 0 ? moe.d_ff_expert : d_ff; }
  int64_t d_ff_shared() const { return moe.d_ff_shared > 0 ? moe.d_ff_shared : d_ff_expert(); }
  // The width of a routed token: the latent width under LatentMoE, else d_model.
  int64_t routed_width() const { return moe.latent_size > 0 ? moe.latent_size : d_model; }
  // Layer i (0-based; i >= n_layers are MTP layers) has the MoE MLP, or windowed attention.
  bool IsMoeLayer(int64_t i) const {
    if (HybridKind(i) != 0) return HybridKind(i) == 'E';
    return is_moe() && i >= moe.first_dense_layers &&
           (i - moe.first_dense_layers + 1) % moe.every == 0;
  }
  bool IsLocalLayer(int64_t i) const {
    return window.size > 0 &&
           (window.local_per_global == 0 || (i + 1) % (window.local_per_global + 1) != 0);
  }
  int64_t n_moe_layers() const;
  int64_t n_local_layers() const;
  // Layers with attention, with a Mamba mixer, with an MLP (dense or MoE): every layer but in a
  // hybrid model, where each holds one of them. Their shares of the layers are what the average
  // layer that prices a stage carries (layer_cost.cc, memory.cc).
  int64_t n_attention_layers() const { return CountKind('*', n_layers); }
  int64_t n_mamba_layers() const { return CountKind('M', 0); }
  int64_t n_mlp_layers() const {
    return is_hybrid() ? CountKind('-', 0) + CountKind('E', 0) : n_layers;
  }
  double attention_share() const { return Share(n_attention_layers()); }
  double mamba_share() const { return Share(n_mamba_layers()); }
  double mlp_share() const { return Share(n_mlp_layers()); }
  double moe_share() const { return Share(n_moe_layers()); }
  double dense_mlp_share() const { return Share(n_mlp_layers() - n_moe_layers()); }
  // Sublayers (each with its row-parallel output and TP collective) per layer: attention and MLP,
  // or one in a hybrid model.
  int64_t sublayers_per_layer() const { return is_hybrid() ? 1 : 2; }
  // The MLP hidden width one token passes through, averaged over the layers: d_ff in dense
  // layers, top_k routed plus the shared experts' widths in MoE layers (what its activations hold).
  double mlp_width_per_token() const;
  int64_t embed_dim() const { return word_embed_proj_dim > 0 ? word_embed_proj_dim : d_model; }
  // The MTP modules that run: on the last stage beside the LM head, so none without one.
  int64_t mtp_run() const { return lm_head ? mtp_modules : 0; }

 private:
  // Layers of kind c in the hybrid pattern; `otherwise` for a model without one.
  int64_t CountKind(char c, int64_t otherwise) const {
    if (!is_hybrid()) return otherwise;
    int64_t n = 0;
    for (char k : hybrid_pattern) n += k == c ? 1 : 0;
    return n;
  }
  double Share(int64_t layers) const {
    return n_layers > 0 ? static_cast<double>(layers) / static_cast<double>(n_layers) : 0;
  }
};

// A validation failure names the spec key it is about, so the YAML layer can point at its line.
struct SpecError {
  std::string key;  // e.g. "n_kv_heads", "moe.top_k"
  std::string message;
};

// Checks sizes and consistency. Defaults (n_kv_heads, head_dim) must already be filled in.
std::optional<SpecError> Validate(const ModelSpec& spec);

// The model file's names of each field's values (planner/io/model_io.cc parses with them).
inline constexpr EnumName<Position> kPositionNames[] = {{Position::kLearned, "learned"},
                                                        {Position::kRope, "rope"},
                                                        {Position::kAlibi, "alibi"},
                                                        {Position::kNone, "none"},
                                                        {Position::kRelative, "relative"}};
inline constexpr EnumName<MlpKind> kMlpKindNames[] = {{MlpKind::kGelu, "gelu"},
                                                      {MlpKind::kRelu, "relu"},
                                                      {MlpKind::kSwiglu, "swiglu"},
                                                      {MlpKind::kGeglu, "geglu"}};
inline constexpr EnumName<NormKind> kNormKindNames[] = {
    {NormKind::kLayerNorm, "layernorm"},
    {NormKind::kRmsNorm, "rmsnorm"},
    {NormKind::kLayerNormNoBias, "layernorm_no_bias"}};
inline constexpr EnumName<QkNorm> kQkNormNames[] = {
    {QkNorm::kNone, "none"}, {QkNorm::kPerHead, "per_head"}, {QkNorm::kFull, "full"}};
inline constexpr EnumName<WindowKind> kWindowKindNames[] = {{WindowKind::kSliding, "sliding"},
                                                            {WindowKind::kChunked, "chunked"}};

inline const char* ToString(Position p) { return NameIn(kPositionNames, p); }
inline const char* ToString(MlpKind m) { return NameIn(kMlpKindNames, m); }
inline const char* ToString(NormKind n) { return NameIn(kNormKindNames, n); }
inline const char* ToString(QkNorm q) { return NameIn(kQkNormNames, q); }
inline const char* ToString(WindowKind w) { return NameIn(kWindowKindNames, w); }

}  // namespace planner

#endif  // PLANNER_CORE_MODEL_SPEC_H_
