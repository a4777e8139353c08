#include "planner/sim/schedules.h"

#include <algorithm>
#include <string>
#include <vector>

namespace planner::sim {
namespace {

using OpList = std::vector<PipelineOp>;

PipelineOp Forward(int32_t microbatch, int32_t chunk = 0) {
  return {OpKind::kForward, microbatch, chunk};
}
PipelineOp Backward(int32_t microbatch, int32_t chunk = 0) {
  return {OpKind::kBackward, microbatch, chunk};
}
PipelineOp Weight(int32_t microbatch, int32_t chunk = 0) {
  return {OpKind::kBackwardWeight, microbatch, chunk};
}

OpList Gpipe(int32_t m) {
  OpList ops;
  for (int32_t mb = 0; mb < m; ++mb) ops.push_back(Forward(mb));
  for (int32_t mb = 0; mb < m; ++mb) ops.push_back(Backward(mb));
  return ops;
}

// Warm-up of p-s-1 forwards fills the pipeline below this stage; then each forward is followed
// by the backward of the oldest micro-batch, so at most p-s are in flight.
OpList OneFOneB(int32_t p, int32_t m, int32_t s) {
  const int32_t warmup = std::min(p - s - 1, m);
  OpList ops;
  for (int32_t mb = 0; mb < warmup; ++mb) ops.push_back(Forward(mb));
  for (int32_t i = 0; i + warmup < m; ++i) {
    ops.push_back(Forward(i + warmup));
    ops.push_back(Backward(i));
  }
  for (int32_t mb = m - warmup; mb < m; ++mb) ops.push_back(Backward(mb));
  return ops;
}

// Megatron's order: the k-th chunk pass of a stage belongs to micro-batch group k / (p*v); within
// a group, p micro-batches go through chunk 0, then the same p through chunk 1, and so on
// (backward visits chunks in reverse).
PipelineOp InterleavedPass(OpKind kind, int32_t k, int32_t p, int32_t v) {
  const int32_t in_group = k % (p * v);
  int32_t chunk = in_group / p;
  if (kind == OpKind::kBackward) chunk = v - 1 - chunk;
  return {kind, (k / (p * v)) * p + k % p, chunk};
}

// Warm-up 2(p-s-1) + (v-1)p chunk passes (Megatron; all of them when m == p), then one forward
// and one backward pass per step.
OpList Interleaved(int32_t p, int32_t m, int32_t v, int32_t s) {
  const int32_t total = m * v;
  const int32_t warmup = m == p ? total : std::min(2 * (p - s - 1) + (v - 1) * p, total);
  OpList ops;
  for (int32_t k = 0; k < warmup; ++k) ops.push_back(InterleavedPass(OpKind::kForward, k, p, v));
  for (int32_t k = 0; k + warmup < total; ++k) {
    ops.push_back(InterleavedPass(OpKind::kForward, k + warmup, p, v));
    ops.push_back(InterleavedPass(OpKind::kBackward, k, p, v));
  }
  for (int32_t k = std::max(total - warmup, 0); k < total; ++k) {
    ops.push_back(InterleavedPass(OpKind::kBackward, k, p, v));
  }
  return ops;
}

// ZB-H1 as in the paper's reference implementation: 1F1B's warm-up, then s forward/B pairs
// whose W passes are deferred, then F/B/W triples, B/W pairs, and the s deferred W passes last,
// where they fill the time stage s would otherwise wait for gradients.
OpList ZeroBubbleH1(int32_t p, int32_t m, int32_t s) {
  const int32_t warmup = std::min(p - s - 1, m);
  int32_t f = 0, b = 0, w = 0;
  OpList ops;
  while (f < warmup) ops.push_back(Forward(f++));
  for (int32_t i = 0; i < s && f < m; ++i) {
    ops.push_back(Forward(f++));
    ops.push_back(Backward(b++));
  }
  while (f < m) {
    ops.push_back(Forward(f++));
    ops.push_back(Backward(b++));
    ops.push_back(Weight(w++));
  }
  while (b < m) {
    ops.push_back(Backward(b++));
    ops.push_back(Weight(w++));
  }
  while (w < m) ops.push_back(Weight(w++));
  return ops;
}

// DualPipe on stage s, after deepseek-ai/DualPipe's DualPipe.step: "phase 0" is the direction
// that enters on this half of the pipeline (chunk 0 on the first p/2 stages, chunk 1 on the
// rest); forward-backward pairs are issued forward first; a zero-bubble backward defers its W
// pass to a FIFO that weight steps drain, any other backward runs its W right after it.
class DualPipeOrder {
 public:
  DualPipeOrder(int32_t p, int32_t m, int32_t s) : half_m_(m / 2), second_half_(s >= p / 2) {}
  void F(int phase) {
    const int32_t c = Chunk(phase);
    ops_.push_back(Forward(c * half_m_ + forwards_[c]++, c));
  }
  void B(int phase, bool zero_bubble = false) {
    const int32_t c = Chunk(phase);
    const int32_t mb = c * half_m_ + backwards_[c]++;
    ops_.push_back(Backward(mb, c));
    if (zero_bubble) {
      deferred_.push_back(Weight(mb, c));
    } else {
      ops_.push_back(Weight(mb, c));
    }
  }
  void W() {
    ops_.push_back(deferred_[next_deferred_++]);
  }
  OpList Take() { return std::move(ops_); }

 private:
  int32_t Chunk(int phase) const { return phase ^ (second_half_ ? 1 : 0); }
  int32_t half_m_;
  bool second_half_;
  int32_t forwards_[2] = {0, 0}, backwards_[2] = {0, 0};
  OpList ops_, deferred_;
  size_t next_deferred_ = 0;
};

OpList DualPipe(int32_t p, int32_t m, int32_t s) {
  const int32_t half_p = p / 2, half_rank = std::min(s, p - 1 - s), half_m = m / 2;
  DualPipeOrder o(p, m, s);
  for (int32_t i = 0; i < (half_p - half_rank - 1) * 2; ++i) o.F(0);  // 1: nF0
  for (int32_t i = 0; i < half_rank + 1; ++i) {                      // 2: nF0F1
    o.F(0);
    o.F(1);
  }
  for (int32_t i = 0; i < half_p - half_rank - 1; ++i) {  // 3: nB1W1F1 (zero bubble)
    o.B(1, true);
    o.W();
    o.F(1);
  }
  for (int32_t i = 0; i < half_m - p + half_rank + 1; ++i) {  // 4: nF0B1F1B0 (main)
    o.F(0);
    o.B(1);
    o.F(1);
    o.B(0);
  }
  for (int32_t i = 0; i < half_p - half_rank - 1; ++i) {  // 5: nB1F1B0
    o.B(1);
    o.F(1);
    o.B(0);
  }
  const int32_t step_6 = half_rank + 1;  // 6: nB1B0, the second half with zero bubble
  bool zero_bubble = false;
  for (int32_t i = 0; i < step_6; ++i) {
    if (i == step_6 / 2 && half_rank % 2 == 1) zero_bubble = true;
    o.B(1, zero_bubble);
    if (i == step_6 / 2 && half_rank % 2 == 0) zero_bubble = true;
    o.B(0, zero_bubble);
  }
  for (int32_t i = 0; i < half_p - half_rank - 1; ++i) {  // 7: nWB0 (zero bubble)
    o.W();
    o.B(0, true);
  }
  for (int32_t i = 0; i < half_rank + 1; ++i) o.W();  // 8: nW
  return o.Take();
}

OpList StageOps(const ScheduleSpec& spec, int32_t s) {
  const int32_t p = spec.stages, m = spec.microbatches;
  switch (spec.kind) {
    case ScheduleKind::kGpipe:
      return Gpipe(m);
    case ScheduleKind::kOneFOneB:
      return OneFOneB(p, m, s);
    case ScheduleKind::kInterleaved1F1B:
      return Interleaved(p, m, spec.chunks, s);
    case ScheduleKind::kZeroBubbleH1:
      return ZeroBubbleH1(p, m, s);
    case ScheduleKind::kDualPipe:
      return DualPipe(p, m, s);
  }
  return {};
}

}  // namespace

std::optional<ScheduleKind> ParseScheduleKind(std::string_view name) {
  return ValueNamed(kScheduleKindNames, name);
}

int32_t PathLength(const ScheduleSpec& spec) {
  return spec.kind == ScheduleKind::kDualPipe ? spec.stages : spec.stages * spec.chunks;
}

int32_t PathPosition(const ScheduleSpec& spec, int32_t stage, int32_t chunk) {
  if (spec.kind == ScheduleKind::kDualPipe) return chunk == 0 ? stage : spec.stages - 1 - stage;
  return VirtualStage(stage, chunk, spec.stages);
}

int32_t VirtualStageAt(const ScheduleSpec& spec, int32_t chunk, int32_t position) {
  if (spec.kind != ScheduleKind::kDualPipe) return position;
  const int32_t stage = chunk == 0 ? position : spec.stages - 1 - position;
  return VirtualStage(stage, chunk, spec.stages);
}

int32_t ModelStage(const ScheduleSpec& spec, int32_t stage, int32_t chunk) {
  return spec.kind == ScheduleKind::kDualPipe && chunk == 1 ? spec.stages - 1 - stage : stage;
}

int32_t ChunksPerModelStage(const ScheduleSpec& spec) {
  return spec.kind == ScheduleKind::kDualPipe ? 1 : spec.chunks;
}

bool RunsChunk(const ScheduleSpec& spec, int32_t microbatch, int32_t chunk) {
  if (spec.kind != ScheduleKind::kDualPipe) return true;
  return chunk == (microbatch < spec.microbatches / 2 ? 0 : 1);
}

std::optional<std::string> Validate(const ScheduleSpec& spec) {
  // Op counts are stored in int32: keep m * v (and the op list) well inside it.
  constexpr int32_t kMaxCount = 1 << 20;
  if (spec.stages < 1 || spec.stages > kMaxCount) return "stages must be in 1..1048576";
  if (spec.microbatches < 1 || spec.microbatches > kMaxCount) {
    return "micro-batches must be in 1..1048576";
  }
  if (spec.chunks < 1 || spec.chunks > 1024) return "chunks must be in 1..1024";
  if (int64_t{spec.microbatches} * spec.chunks > kMaxCount) return "micro-batches * chunks > 2^20";
  if (spec.kind == ScheduleKind::kDualPipe) {
    if (spec.chunks != 2) return "dualpipe runs two model chunks per stage, not " +
                                 std::to_string(spec.chunks);
    if (spec.stages < 2 || spec.stages % 2 != 0) {
      return "dualpipe needs an even number of stages, got " + std::to_string(spec.stages);
    }
    if (spec.microbatches % 2 != 0 || spec.microbatches < 2 * spec.stages) {
      return "dualpipe needs an even number of micro-batches, at least 2 x stages (" +
             std::to_string(2 * spec.stages) + "), got " + std::to_string(spec.microbatches);
    }
    return std::nullopt;
  }
  if (spec.kind != ScheduleKind::kInterleaved1F1B && spec.chunks != 1) {
    return std::string(ToString(spec.kind)) +
           " has one model chunk per stage; chunks = " + std::to_string(spec.chunks) +
           " needs interleaved-1f1b";
  }
  if (spec.kind == ScheduleKind::kInterleaved1F1B && spec.microbatches % spec.stages != 0) {
    return "interleaved-1f1b needs micro-batches (" + std::to_string(spec.microbatches) +
           ") divisible by stages (" + std::to_string(spec.stages) + ")";
  }
  return std::nullopt;
}

PipelineSchedule MakeSchedule(const ScheduleSpec& spec) {
  PipelineSchedule schedule;
  schedule.spec = spec;
  schedule.split_backward =
      spec.kind == ScheduleKind::kZeroBubbleH1 || spec.kind == ScheduleKind::kDualPipe;
  schedule.stage_ops.reserve(spec.stages);
  for (int32_t s = 0; s < spec.stages; ++s) schedule.stage_ops.push_back(StageOps(spec, s));
  return schedule;
}

std::optional<std::string> CheckComplete(const PipelineSchedule& schedule) {
  const ScheduleSpec& spec = schedule.spec;
  const int32_t m = spec.microbatches, v = spec.chunks;
  if (static_cast<int32_t>(schedule.stage_ops.size()) != spec.stages) {
    return "schedule has " + std::to_string(schedule.stage_ops.size()) + " stages, spec says " +
           std::to_string(spec.stages);
  }
  for (int32_t s = 0; s < spec.stages; ++s) {
    // Per (chunk, micro-batch): how many forward, backward, weight passes seen so far.
    std::vector<int32_t> seen[3];
    for (auto& counts : seen) counts.assign(static_cast<size_t>(m) * v, 0);
    const std::string where = "stage " + std::to_string(s) + ": ";
    for (const PipelineOp& op : schedule.stage_ops[s]) {
      if (op.microbatch < 0 || op.microbatch >= m || op.chunk < 0 || op.chunk >= v) {
        return where + "op outside the micro-batch or chunk range";
      }
      if (!RunsChunk(spec, op.microbatch, op.chunk)) {
        return where + "micro-batch " + std::to_string(op.microbatch) + " does not run chunk " +
               std::to_string(op.chunk);
      }
      if (op.kind == OpKind::kBackwardWeight && !schedule.split_backward) {
        return where + "weight pass in a schedule that does not split the backward";
      }
      const size_t key = static_cast<size_t>(op.chunk) * m + op.microbatch;
      const int kind = static_cast<int>(op.kind);
      if (kind > 0 && seen[kind - 1][key] == 0) {
        return where + "micro-batch " + std::to_string(op.microbatch) + " chunk " +
               std::to_string(op.chunk) + " runs a backward pass before its predecessor pass";
      }
      if (++seen[kind][key] > 1) {
        return where + "micro-batch " + std::to_string(op.microbatch) + " chunk " +
               std::to_string(op.chunk) + " repeats a pass";
      }
    }
    const size_t per_microbatch = spec.kind == ScheduleKind::kDualPipe ? 1 : v;
    const size_t expected =
        static_cast<size_t>(m) * per_microbatch * (schedule.split_backward ? 3 : 2);
    if (schedule.stage_ops[s].size() != expected) {
      return where + "has " + std::to_string(schedule.stage_ops[s].size()) + " ops, expected " +
             std::to_string(expected);
    }
  }
  return std::nullopt;
}

}  // namespace planner::sim
