// Pipeline schedules as data: for each stage, the order in which it issues forward and backward
// passes of (micro-batch, model chunk). Independent of costs and of the planner; the pipeline
// graph builder (pipeline_graph.h) turns a schedule plus durations into a TaskGraph.
//
//   GPipe (Huang et al. 2019): all forwards, then all backwards; holds m micro-batches.
//   1F1B (PipeDream-flush, Narayanan et al. 2021): stage s warms up with p-s-1 forwards, then
//     alternates one forward and one backward; holds at most p-s micro-batches.
//   Interleaved 1F1B (Megatron, Narayanan et al. 2021): v model chunks per stage (virtual stage
//     chunk*p + stage), same alternation over chunk passes; bubble divided by v. Needs m % p == 0.
//   ZB-H1 (Qi et al. 2023, "Zero Bubble Pipeline Parallelism"): backward split into B (input
//     gradient, on the critical path) and W (weight gradient); stage s defers s W passes and uses
//     them to fill the cool-down bubble, keeping 1F1B's in-flight micro-batch count.
//   DualPipe (DeepSeek-V3, arXiv 2412.19437 sec. 3.2.1; deepseek-ai/DualPipe dualpipe.py): the
//     first half of the micro-batches enters at stage 0 (chunk 0: model stage s on stage s), the
//     second half at stage p-1 (chunk 1: model stage p-1-s on stage s), so every stage holds two
//     model stages. The eight phases of the reference implementation, with forward-backward
//     pairs issued forward first (not overlapped) and zero-bubble W passes where it defers them.
//     Needs p even and m even, m >= 2p.
#ifndef PLANNER_SIM_SCHEDULES_H_
#define PLANNER_SIM_SCHEDULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planner/core/enum_names.h"

namespace planner::sim {

enum class ScheduleKind : uint8_t {
  kGpipe,
  kOneFOneB,
  kInterleaved1F1B,
  kZeroBubbleH1,
  kDualPipe,
};

// The printed name first, then aliases that only parse.
inline constexpr EnumName<ScheduleKind> kScheduleKindNames[] = {
    {ScheduleKind::kGpipe, "gpipe"},
    {ScheduleKind::kOneFOneB, "1f1b"},
    {ScheduleKind::kInterleaved1F1B, "interleaved-1f1b"},
    {ScheduleKind::kZeroBubbleH1, "zb-h1"},
    {ScheduleKind::kDualPipe, "dualpipe"},
    {ScheduleKind::kInterleaved1F1B, "interleaved"},
    {ScheduleKind::kZeroBubbleH1, "zb"},
    {ScheduleKind::kZeroBubbleH1, "zero-bubble"}};
inline const char* ToString(ScheduleKind kind) { return NameIn(kScheduleKindNames, kind); }
std::optional<ScheduleKind> ParseScheduleKind(std::string_view name);

enum class OpKind : uint8_t {
  kForward,
  kBackward,        // full backward, or only the input gradient when the schedule splits it
  kBackwardWeight,  // weight gradient; only in schedules that split the backward
};

struct PipelineOp {
  OpKind kind = OpKind::kForward;
  int32_t microbatch = 0;
  int32_t chunk = 0;
  bool operator==(const PipelineOp&) const = default;
};

struct ScheduleSpec {
  ScheduleKind kind = ScheduleKind::kOneFOneB;
  int32_t stages = 1;        // p
  int32_t microbatches = 1;  // m
  int32_t chunks = 1;        // v: model chunks per stage (interleaved; DualPipe's two)
};

struct PipelineSchedule {
  ScheduleSpec spec;
  bool split_backward = false;  // kBackward is the input gradient only; kBackwardWeight follows
  std::vector<std::vector<PipelineOp>> stage_ops;  // per stage, in issue order
};

// Model chunk `chunk` of `stage` is virtual stage chunk * stages + stage: activations flow
// through virtual stages in increasing order, wrapping from the last stage to stage 0.
constexpr int32_t VirtualStage(int32_t stage, int32_t chunk, int32_t stages) {
  return chunk * stages + stage;
}

// A micro-batch's path through the pipeline: the virtual stages its passes run on, in forward
// order. Interleaved and the others: every virtual stage 0 .. p*v-1. DualPipe: the p stages of
// its direction's chunk (chunk 0 on stages 0..p-1, chunk 1 on stages p-1..0).
int32_t PathLength(const ScheduleSpec& spec);
int32_t PathPosition(const ScheduleSpec& spec, int32_t stage, int32_t chunk);
int32_t VirtualStageAt(const ScheduleSpec& spec, int32_t chunk, int32_t position);
// The model stage (0 = embedding, p-1 = head) a chunk on a stage runs: DualPipe's chunk 1 on
// stage s runs model stage p-1-s; otherwise the stage itself.
int32_t ModelStage(const ScheduleSpec& spec, int32_t stage, int32_t chunk);
// Model chunks of one model stage: v when interleaved (each chunk 1/v of it); DualPipe's chunks
// are whole stages: 1.
int32_t ChunksPerModelStage(const ScheduleSpec& spec);
// Whether the micro-batch passes through `chunk` (DualPipe: only its direction's chunk).
bool RunsChunk(const ScheduleSpec& spec, int32_t microbatch, int32_t chunk);

// Why the spec cannot be scheduled (sizes, chunks without interleaving, m % p != 0 when
// interleaved); nullopt if it can.
std::optional<std::string> Validate(const ScheduleSpec& spec);

// The spec must be valid.
PipelineSchedule MakeSchedule(const ScheduleSpec& spec);

// Why the schedule is not a complete step: every stage must issue each (micro-batch, chunk)
// forward and backward (and weight pass, if split) exactly once, backward after forward.
std::optional<std::string> CheckComplete(const PipelineSchedule& schedule);

}  // namespace planner::sim

#endif  // PLANNER_SIM_SCHEDULES_H_
