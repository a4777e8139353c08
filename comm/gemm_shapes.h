// GEMM shapes for matbench's efficiency sweep and the FLOP counts that go with them.
#ifndef PLANNER_COMM_GEMM_SHAPES_H_
#define PLANNER_COMM_GEMM_SHAPES_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace comm {

struct GemmShape {
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
  bool operator==(const GemmShape&) const = default;
};

// 2mnk: one multiply and one add per inner-product term.
double GemmFlops(const GemmShape& s);

// "512x512x512,1024x4096x1024" (m x n x k, comma-separated). nullopt on a malformed list or a
// dimension outside [1, 2^20].
std::optional<std::vector<GemmShape>> ParseShapes(std::string_view text);

// Square GEMMs from `min_dim` to `max_dim` by doubling, then the Megatron MLP shapes for
// tokens x d_model x d_ff at tensor-parallel size 1, so the curve covers both regimes.
std::vector<GemmShape> DefaultSweep(int64_t min_dim, int64_t max_dim, int64_t tokens,
                                    int64_t d_model, int64_t d_ff);

}  // namespace comm

#endif  // PLANNER_COMM_GEMM_SHAPES_H_
