// The Megatron tensor-parallel MLP (and attention output projection) pattern on `tp` ranks:
//   Y_r = X . W1[:, shard r]            column-parallel GEMM, tokens x d_model x d_ff/tp
//   Z_r = Y_r . W2[shard r, :]          row-parallel GEMM,    tokens x d_ff/tp x d_model
//   Z   = sum over ranks of Z_r         the tensor-parallel all-reduce of tokens x d_model
// The element-wise activation between the GEMMs is left out: it does not change the sharding or
// the communication, and the benchmark is about the matmuls and the all-reduce.
#ifndef PLANNER_COMM_SHARDED_MLP_H_
#define PLANNER_COMM_SHARDED_MLP_H_

#include <cstdint>

#include "comm/backend.h"
#include "comm/gemm_engine.h"
#include "comm/matbench_json.h"
#include "comm/matbench_options.h"
#include "comm/world.h"

namespace comm {

// Normwise bound on the sharded-vs-unsharded difference that rounding alone can explain:
// 2 (d_model + d_ff) u for float and double (the two chained inner products, worst case);
// with 16-bit storage, the rounding of tp partial sums and of the all-reduce dominates:
// (2 tp + 8) u16.
double MlpErrorBound(DType t, int64_t d_model, int64_t d_ff, int tp);

// backend: the all-reduce's, over buffers in the engine's memory; null only for a single rank.
// Each phase is timed between device synchronisations; each time is the max over ranks of the
// mean over iterations.
MlpFigures RunShardedMlp(const MatbenchOptions& options, GemmEngine& engine, Backend* backend,
                         World& world);

}  // namespace comm

#endif  // PLANNER_COMM_SHARDED_MLP_H_
