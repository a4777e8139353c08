#include "planner/sim/step_graph.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "planner/core/pipeline_stages.h"

namespace planner::sim {
namespace {

// The compute stream is the pipeline builder's; these are the others a stage may have.
enum Stream { kTp, kCp, kEp, kGather, kDp, kP2pSync, kNumStreams };

const char* StreamName(Stream s) {
  switch (s) {
    case kTp:
      return "tp-comm";
    case kCp:
      return "cp-comm";
    case kEp:
      return "ep-comm";
    case kGather:
      return "param-gather";
    case kDp:
      return "dp-comm";
    case kP2pSync:
      return "p2p-sync";
    case kNumStreams:
      break;
  }
  return "other";
}

// The tasks of one op, added in order. Then() starts after everything before it (the compute
// stream's order alone would not hold a communication stream back); Beside() runs alongside the
// last Then() -- both wait for the same predecessors -- and the next Then() waits for both.
class OpChain {
 public:
  // `after`: the stage's previous op. Its synchronous communication holds this op back even
  // where the compute stream's order alone would not.
  OpChain(TaskGraph* graph, const OpContext& context, TaskId after) : graph_(graph) {
    if (after != kNoTask) frontier_.Push(after);
    proto_.microbatch = context.op.microbatch;
    proto_.stage = context.stage;
    proto_.chunk = context.op.chunk;
  }

  // Compute tasks are added even when empty so that every op has a task to wait on.
  TaskId Then(TaskCategory category, ResourceId resource, double duration_s, bool always = false) {
    if (!always && duration_s <= 0.0) return kNoTask;
    const TaskId id = Add(category, resource, duration_s);
    for (int i = 0; i < frontier_.size; ++i) graph_->AddDependency(frontier_.ids[i], id);
    previous_ = frontier_;
    frontier_ = {};
    frontier_.Push(id);
    if (span_.entry == kNoTask) span_.entry = id;
    return id;
  }

  TaskId Beside(TaskCategory category, ResourceId resource, double duration_s) {
    if (duration_s <= 0.0) return kNoTask;
    const TaskId id = Add(category, resource, duration_s);
    for (int i = 0; i < previous_.size; ++i) graph_->AddDependency(previous_.ids[i], id);
    // At the start of an op there is no predecessor to share: wait for the op's first task, so
    // nothing runs before the op's input has arrived.
    if (previous_.size == 0) graph_->AddDependency(frontier_.ids[0], id);
    frontier_.Push(id);
    return id;
  }

  // Ends the op. A Beside() task still running at the end is joined by an empty compute task, so
  // the op has one last task for its output and its memory release to follow.
  OpSpan Finish(ResourceId compute) {
    if (frontier_.size > 1) {
      proto_.name = "join";
      Then(TaskCategory::kOther, compute, 0.0, /*always=*/true);
    }
    span_.exit = span_.last = frontier_.ids[0];
    return span_;
  }

  Task& proto() { return proto_; }

 private:
  // The tasks the next one waits for: a Then() and what runs beside it (a few at most).
  struct Frontier {
    std::array<TaskId, 4> ids{};
    int size = 0;
    void Push(TaskId id) {
      if (size < static_cast<int>(ids.size())) ids[size++] = id;
    }
  };

  TaskId Add(TaskCategory category, ResourceId resource, double duration_s) {
    Task task = proto_;
    task.category = category;
    task.resource = resource;
    task.duration_s = duration_s;
    return graph_->AddTask(std::move(task));
  }

  TaskGraph* graph_;
  Task proto_;
  Frontier frontier_, previous_;
  OpSpan span_;
};

class StepExpander {
 public:
  StepExpander(const StepPieces& pieces, const ParallelConfig& p, const StepGraphOptions& options,
               const ScheduleSpec& spec, TaskGraph* graph)
      : pieces_(pieces),
        p_(p),
        features_(options.features),
        per_layer_(options.per_layer),
        spec_(spec),
        graph_(graph),
        streams_(spec.stages),
        gathers_(spec.stages),
        last_dp_(spec.stages, kNoTask),
        last_op_(spec.stages, kNoTask),
        started_(spec.stages, false) {
    for (auto& ids : streams_) ids.fill(-1);
  }

  OpSpan Expand(const OpContext& context) {
    const int32_t s = context.stage;
    if (!started_[s]) StartStage(context);
    OpChain chain(graph_, context, last_op_[s]);
    switch (context.op.kind) {
      case OpKind::kForward:
        Forward(context, &chain);
        break;
      case OpKind::kBackward:
        Backward(context, &chain);
        break;
      case OpKind::kBackwardWeight:
        WeightPass(context, &chain);
        break;
    }
    const OpSpan span = chain.Finish(context.compute);
    last_op_[s] = span.last;
    return span;
  }

  const StagePieces& Stage(int32_t s) const {
    return features_.stage_costs ? pieces_.stages[s] : pieces_.uniform;
  }
  ResourceId Get(int32_t s, Stream kind) {
    ResourceId& id = streams_[s][kind];
    if (id < 0) id = graph_->AddResource(s, StreamName(kind));
    return id;
  }
  // Communication on one of the stage's streams, which is created on first use.
  void Sync(OpChain* chain, TaskCategory category, int32_t s, Stream kind, double duration_s) {
    if (duration_s > 0.0) chain->Then(category, Get(s, kind), duration_s);
  }
  void Aside(OpChain* chain, TaskCategory category, int32_t s, Stream kind, double duration_s) {
    if (duration_s > 0.0) chain->Beside(category, Get(s, kind), duration_s);
  }
  TaskId last_dp(int32_t s) const { return last_dp_[s]; }
  void set_last_dp(int32_t s, TaskId id) { last_dp_[s] = id; }

 private:
  // Layers per chunk and the blocks they are simulated as (one per layer, or one per op).
  // `s`: the model stage (OpContext::model_stage).
  double ChunkLayers(int32_t s) const { return Stage(s).layers / ChunksPerModelStage(spec_); }
  int Blocks(int32_t s) const {
    const double layers = ChunkLayers(s);
    return per_layer_ && layers >= 1 ? static_cast<int>(layers) : 1;
  }
  bool LastVirtualStage(const OpContext& c) const {
    return c.path_position == PathLength(spec_) - 1;
  }
  // The last backward of the chunk's micro-batches (DualPipe: of its direction's half).
  bool FinalBackward(const OpContext& c, OpKind kind) const {
    const bool dual = spec_.kind == ScheduleKind::kDualPipe;
    const int32_t last = dual && c.op.chunk == 0 ? spec_.microbatches / 2 - 1
                                                 : spec_.microbatches - 1;
    return c.op.kind == kind && c.op.microbatch == last;
  }
  // A stack without prefetch (deepspeed-2021: every gather waits on a device synchronize) keeps
  // the analytic model's exposed ZeRO-3 time on the compute path, overlap mode or not.
  bool Zero3Prefetch() const {
    return p_.zero >= 3 && features_.overlap_comm && pieces_.zero3_prefetch;
  }

  // Work done once per step, before the first op: not through the chain, so it does not wait for
  // the stage's first input.
  void StartStage(const OpContext& c) {
    started_[c.stage] = true;
    const double per_step_s = Stage(c.stage).per_step_s;
    if (per_step_s <= 0.0) return;
    Task task;
    task.name = "fp8 weight casts";
    task.category = TaskCategory::kOther;
    task.resource = c.compute;
    task.duration_s = per_step_s;
    task.stage = c.stage;
    graph_->AddTask(std::move(task));
  }

  // A prefetched ZeRO-3 gather on the stage's gather stream: it may start once the block two
  // gathers back has finished with its weights (two gather buffers), not when the op starts.
  TaskId Prefetch(const OpContext& c, double duration_s) {
    if (duration_s <= 0.0) return kNoTask;
    Task task;
    task.category = TaskCategory::kParamAllGather;
    task.resource = Get(c.stage, kGather);
    task.duration_s = duration_s;
    task.microbatch = c.op.microbatch;
    task.stage = c.stage;
    task.chunk = c.op.chunk;
    const TaskId id = graph_->AddTask(std::move(task));
    std::vector<TaskId>& users = gathers_[c.stage];
    if (users.size() >= 2) graph_->AddDependency(users[users.size() - 2], id);
    return id;
  }
  // The block's first compute task waits for its gather; the block's last one frees the buffer.
  void UseGather(int32_t s, TaskId gather, TaskId first_user, TaskId last_user) {
    if (gather == kNoTask) return;
    graph_->AddDependency(gather, first_user);
    gathers_[s].push_back(last_user);
  }

  // A gradient collective on the stage's dp stream once `after` has produced the gradient: a
  // ZeRO-3 reduce-scatter of this micro-batch's gradients, or a DP bucket (of the whole step's).
  void AddReduce(const OpContext& c, TaskId after, double duration_s, bool bucket,
                 const char* name = nullptr) {
    if (duration_s <= 0.0) return;
    Task task;
    task.name = name;
    task.category = TaskCategory::kDpComm;
    task.resource = Get(c.stage, kDp);
    task.duration_s = duration_s;
    task.microbatch = bucket ? -1 : c.op.microbatch;
    task.stage = c.stage;
    task.chunk = c.op.chunk;
    const TaskId id = graph_->AddTask(std::move(task));
    graph_->AddDependency(after, id);
    last_dp_[c.stage] = id;
  }

  // Exposed communication the analytic model charges per micro-batch, serialised on the compute
  // path; `share` of it belongs to this op (one chunk's forward or backward).
  void ExposedTail(const OpContext& c, OpChain* chain, double cp_share, double zero3_share) {
    const StagePieces& st = Stage(c.model_stage);
    const double v = ChunksPerModelStage(spec_);
    if (p_.zero >= 3 && !Zero3Prefetch()) {
      Sync(chain, TaskCategory::kParamAllGather, c.stage, kGather,
           st.zero3_exposed_s * zero3_share / v);
    }
    if (features_.overlap_comm) return;
    Sync(chain, TaskCategory::kCpComm, c.stage, kCp, st.cp_exposed_s * cp_share / v);
    Sync(chain, TaskCategory::kPpP2p, c.stage, kP2pSync, st.pp_exposed_s / (2 * v));
  }

  void Forward(const OpContext& c, OpChain* chain) {
    const int32_t s = c.stage;
    const StagePieces& st = Stage(c.model_stage);
    const LayerPieces& l = st.layer;
    const int blocks = Blocks(c.model_stage);
    const double k = ChunkLayers(c.model_stage) / blocks;  // layers per block
    const bool ring = features_.overlap_comm && p_.cp > 1;
    const bool zero3 = Zero3Prefetch();
    const bool extras = zero3 && (c.path_position == 0 || LastVirtualStage(c));
    const TaskId extra_gather = extras ? Prefetch(c, st.zero3_extra_gather_s) : kNoTask;
    for (int b = 0; b < blocks; ++b) {
      const TaskId gather = zero3 ? Prefetch(c, k * st.zero3_gather_s) : kNoTask;
      const double main_s = ring ? l.forward_s - l.attention_fwd_s : l.forward_s;
      const TaskId first = chain->Then(TaskCategory::kForward, c.compute, k * main_s, true);
      TaskId last = first;
      if (ring) {
        last = chain->Then(TaskCategory::kForward, c.compute, k * l.attention_fwd_s, true);
        Aside(chain, TaskCategory::kCpComm, s, kCp, k * l.cp_fwd_s);
      }
      if (b == 0 && extra_gather != kNoTask) UseGather(s, extra_gather, first, first);
      UseGather(s, gather, first, last);
      Sync(chain, TaskCategory::kTpComm, s, kTp, k * l.tp_fwd_s);
      Sync(chain, TaskCategory::kEpComm, s, kEp, k * l.ep_fwd_s);
    }
    if (LastVirtualStage(c) && st.head_fwd_s > 0.0) {
      chain->proto().name = "LM head + loss";
      chain->Then(TaskCategory::kForward, c.compute, st.head_fwd_s);
      chain->proto().name = nullptr;
    }
    ExposedTail(c, chain, 1.0 / 3, 1.0 / 3);
  }

  void Backward(const OpContext& c, OpChain* chain) {
    const int32_t s = c.stage;
    const StagePieces& st = Stage(c.model_stage);
    const LayerPieces& l = st.layer;
    const bool split = c.schedule->split_backward;
    const int blocks = Blocks(c.model_stage);
    const double k = ChunkLayers(c.model_stage) / blocks;
    const bool ring = features_.overlap_comm && p_.cp > 1;
    const bool zero3 = Zero3Prefetch();
    const bool buckets = features_.dp_buckets && !split && FinalBackward(c, OpKind::kBackward);
    const bool extras = zero3 && (c.path_position == 0 || LastVirtualStage(c));
    TaskId extra_gather = extras ? Prefetch(c, st.zero3_extra_gather_s) : kNoTask;
    TaskId last_weight = kNoTask;
    if (LastVirtualStage(c) && st.head_bwd_input_s > 0.0) {
      chain->proto().name = "LM head + loss B";
      const TaskId head = chain->Then(TaskCategory::kBackwardInput, c.compute, st.head_bwd_input_s);
      chain->proto().name = "LM head W";
      if (!split) {
        last_weight = chain->Then(TaskCategory::kBackwardWeight, c.compute, st.head_bwd_weight_s);
      }
      chain->proto().name = nullptr;
      UseGather(s, extra_gather, head, head);
      extra_gather = kNoTask;
    }
    for (int b = blocks - 1; b >= 0; --b) {
      const TaskId gather = zero3 ? Prefetch(c, k * st.zero3_backward_gather_s) : kNoTask;
      TaskId first = chain->Then(TaskCategory::kRecompute, c.compute, k * l.recompute_s);
      Sync(chain, TaskCategory::kTpComm, s, kTp, k * l.tp_recompute_s);
      const double main_s = ring ? l.backward_input_s - l.attention_bwd_s : l.backward_input_s;
      const TaskId input = chain->Then(TaskCategory::kBackwardInput, c.compute, k * main_s, true);
      if (first == kNoTask) first = input;
      TaskId last = input;
      if (ring) {
        last = chain->Then(TaskCategory::kBackwardInput, c.compute, k * l.attention_bwd_s, true);
        Aside(chain, TaskCategory::kCpComm, s, kCp, k * l.cp_bwd_s);
      }
      UseGather(s, extra_gather, first, first);
      extra_gather = kNoTask;
      UseGather(s, gather, first, last);
      Sync(chain, TaskCategory::kTpComm, s, kTp, k * l.tp_bwd_s);
      Sync(chain, TaskCategory::kEpComm, s, kEp, k * l.ep_bwd_s);
      if (split) {
        // With the weight pass deferred there is no GEMM for the TP backward to hide behind.
        if (features_.overlap_comm) {
          Sync(chain, TaskCategory::kTpComm, s, kTp, k * l.tp_bwd_overlap_s);
        }
        continue;
      }
      last_weight =
          chain->Then(TaskCategory::kBackwardWeight, c.compute, k * l.backward_weight_s, true);
      if (features_.overlap_comm) {
        Aside(chain, TaskCategory::kTpComm, s, kTp, k * l.tp_bwd_overlap_s);
      }
      GradientsReady(c, last_weight, k, buckets);
    }
    if (!split) ExtrasReady(c, last_weight, buckets);
    ExposedTail(c, chain, 2.0 / 3, 2.0 / 3);
  }

  // ZB-H1's deferred weight pass: the weight-gradient GEMMs of every block, in backward order.
  void WeightPass(const OpContext& c, OpChain* chain) {
    const StagePieces& st = Stage(c.model_stage);
    const bool buckets = features_.dp_buckets && FinalBackward(c, OpKind::kBackwardWeight);
    TaskId last_weight = kNoTask;
    if (LastVirtualStage(c) && st.head_bwd_weight_s > 0.0) {
      chain->proto().name = "LM head W";
      last_weight = chain->Then(TaskCategory::kBackwardWeight, c.compute, st.head_bwd_weight_s);
      chain->proto().name = nullptr;
    }
    const int blocks = Blocks(c.model_stage);
    const double k = ChunkLayers(c.model_stage) / blocks;
    for (int b = blocks - 1; b >= 0; --b) {
      last_weight = chain->Then(TaskCategory::kBackwardWeight, c.compute,
                                k * st.layer.backward_weight_s, true);
      GradientsReady(c, last_weight, k, buckets);
    }
    ExtrasReady(c, last_weight, buckets);
  }

  // A block's weight gradients are complete: ZeRO-3 reduce-scatters them every micro-batch; in
  // the step's last backward, DP reduces them as one bucket.
  void GradientsReady(const OpContext& c, TaskId weight, double k, bool bucket) {
    const StagePieces& st = Stage(c.model_stage);
    if (Zero3Prefetch()) AddReduce(c, weight, k * st.zero3_scatter_s, false);
    if (bucket) AddReduce(c, weight, k * st.dp_layer_s, true, "DP bucket");
  }

  // The stage's parameters outside its layers (embedding, head, final norm) have their
  // gradients once its chunk-0 backward is done (the embedding's is the very last).
  void ExtrasReady(const OpContext& c, TaskId after, bool bucket) {
    // DualPipe's chunk 1 is another model stage, with its own embedding or head.
    if (c.op.chunk != 0 && spec_.kind != ScheduleKind::kDualPipe) return;
    const StagePieces& st = Stage(c.model_stage);
    if (Zero3Prefetch()) AddReduce(c, after, st.zero3_extra_scatter_s, false);
    if (bucket) AddReduce(c, after, st.dp_extra_s, true, "DP bucket (embedding/head)");
  }

  const StepPieces& pieces_;
  const ParallelConfig& p_;
  const SimFeatures features_;
  const bool per_layer_;
  const ScheduleSpec spec_;
  TaskGraph* graph_;
  std::vector<std::array<ResourceId, kNumStreams>> streams_;
  std::vector<std::vector<TaskId>> gathers_;  // per stage: tasks that release a gather buffer
  std::vector<TaskId> last_dp_;               // per stage: the newest task on its dp stream
  std::vector<TaskId> last_op_;               // per stage: the last task of its newest op
  std::vector<bool> started_;
};

}  // namespace

namespace {

ScheduleSpec SpecFor(const ParallelConfig& p, ScheduleKind kind) {
  ScheduleSpec spec;
  spec.kind = kind;
  spec.stages = static_cast<int32_t>(p.pp);
  spec.microbatches = static_cast<int32_t>(p.grad_accum());
  spec.chunks = kind == ScheduleKind::kInterleaved1F1B ? static_cast<int32_t>(p.vpp)
                : kind == ScheduleKind::kDualPipe       ? 2
                                                        : 1;
  return spec;
}

PipelineCosts ChunkCostsFor(const StepExpander& expander, const ScheduleSpec& spec,
                            const SimFeatures& features) {
  PipelineCosts costs;
  for (int32_t vs = 0; vs < spec.stages * spec.chunks; ++vs) {
    const StagePieces& st = expander.Stage(ModelStage(spec, vs % spec.stages, vs / spec.stages));
    ChunkCosts chunk;
    // Without overlap the analytic model's exposed PP time sits in each op (ExposedTail) and
    // the next stage waits for the op itself; with it, transfers run on their own links.
    chunk.p2p_s = features.overlap_comm ? st.p2p_s : 0.0;
    chunk.activation_bytes = st.layers / ChunksPerModelStage(spec) * st.layer.activation_bytes;
    costs.chunks.push_back(chunk);
  }
  return costs;
}

// At most this many tasks are reserved up front (512 MiB); a larger graph grows as it is built.
constexpr double kMaxReservedTasks = 1 << 23;

// An upper bound on the tasks of a step graph whose fullest stage holds `stage_layers` layers.
double TaskBound(const ParallelConfig& p, ScheduleKind kind, double stage_layers, bool per_layer) {
  const double chunks = kind == ScheduleKind::kInterleaved1F1B ? static_cast<double>(p.vpp) : 1;
  const double passes =
      kind == ScheduleKind::kZeroBubbleH1 || kind == ScheduleKind::kDualPipe ? 3 : 2;
  const double ops = static_cast<double>(p.pp) * static_cast<double>(p.grad_accum()) * chunks;
  const double layers = stage_layers / chunks;
  const double blocks = per_layer ? std::max(1.0, layers) : 1.0;
  // Per block at most: gather, recompute + its TP, two B slices + CP, TP, EP, W + TP beside it,
  // a reduce-scatter and a DP bucket; per op a head, exposed tails, a join and a transfer.
  return ops * passes * (blocks * 14 + 8) + 4.0 * static_cast<double>(p.pp);
}

// After a stage's last op: its DP gradients (unless buckets already reduced them), the optimizer
// step, and under ZeRO-1/2 the all-gather of the updated parameters.
void AddStageTail(int32_t s, const SimFeatures& features, StepExpander* expander, StepGraph* out) {
  TaskGraph& graph = out->graph;
  const StagePieces& st = expander->Stage(s);
  const TaskId last_op = out->pipeline.spans[s].back().last;
  const auto add = [&](const char* name, TaskCategory category, ResourceId resource,
                       double duration_s, std::vector<TaskId> after) {
    Task task;
    task.name = name;
    task.category = category;
    task.resource = resource;
    task.duration_s = duration_s;
    task.stage = s;
    const TaskId id = graph.AddTask(std::move(task));
    for (TaskId before : after) {
      if (before != kNoTask) graph.AddDependency(before, id);
    }
    return id;
  };
  if (!features.dp_buckets && st.dp_exposed_s > 0.0) {
    expander->set_last_dp(s, add("DP gradients (exposed)", TaskCategory::kDpComm,
                                 expander->Get(s, kDp), st.dp_exposed_s, {last_op}));
  }
  const TaskId optimizer = add("optimizer step", TaskCategory::kOptimizer, out->pipeline.compute[s],
                               st.optimizer_s, {last_op, expander->last_dp(s)});
  out->optimizer.push_back(optimizer);
  if (features.dp_buckets && st.dp_gather_s > 0.0) {
    add("DP parameter all-gather", TaskCategory::kParamAllGather, expander->Get(s, kDp),
        st.dp_gather_s, {optimizer});
  }
}

}  // namespace

ScheduleKind DefaultSchedule(const ParallelConfig& p) {
  if (p.vpp > 1) return ScheduleKind::kInterleaved1F1B;
  if (p.schedule == Schedule::kDualPipe) return ScheduleKind::kDualPipe;
  return p.schedule == Schedule::kGPipe ? ScheduleKind::kGpipe : ScheduleKind::kOneFOneB;
}

std::optional<std::string> CheckSchedule(const ParallelConfig& p, ScheduleKind kind) {
  if (p.vpp > 1 && kind != ScheduleKind::kInterleaved1F1B) {
    return std::string(ToString(kind)) +
           " runs one model chunk per stage; vpp = " + std::to_string(p.vpp) +
           " needs interleaved-1f1b";
  }
  if (p.grad_accum() < 1) return "the global batch gives no micro-batch per data-parallel rank";
  return Validate(SpecFor(p, kind));
}

double EstimateTasks(const ModelSpec& m, const ParallelConfig& p, ScheduleKind kind,
                     bool per_layer) {
  // The fullest stage bounds the blocks per op; the last also runs the MTP modules' layers.
  const StageLayout split = StageLayers(m.n_layers, p);
  // (A hybrid model's MTP layer is a few of its one-block layers: bounded by 3.)
  const double mtp = static_cast<double>(m.mtp_run()) * (m.is_hybrid() ? 3 : 1);
  const double stage_layers = (split.ok ? static_cast<double>(split.max_layers())
                                        : static_cast<double>(m.n_layers) / p.pp) +
                              mtp;
  return TaskBound(p, kind, stage_layers, per_layer);
}

StepGraph BuildStepGraph(const ModelSpec& m, const ClusterSpec& c, const ParallelConfig& p,
                         const StepTimeOptions& o, const StepGraphOptions& options) {
  return BuildStepGraph(ComputeStepPieces(m, c, p, o), p, options);
}

StepGraph BuildStepGraph(const StepPieces& pieces, const ParallelConfig& p,
                         const StepGraphOptions& options) {
  StepGraph out;
  BuildStepGraph(pieces, p, options, &out);
  return out;
}

void BuildStepGraph(const StepPieces& pieces, const ParallelConfig& p,
                    const StepGraphOptions& options, StepGraph* out) {
  out->error.clear();
  out->graph.Clear();
  out->pipeline = {};
  out->optimizer.clear();
  out->features = options.features;
  const ScheduleKind kind = options.schedule.value_or(DefaultSchedule(p));
  if (auto error = CheckSchedule(p, kind)) {
    out->error = *error;
    return;
  }
  out->pieces = pieces;
  out->schedule = SpecFor(p, kind);
  // Reserved up front: growing a vector of a million tasks by doubling copies it and touches
  // twice its pages. Half the bound covers the usual graph (a quarter of it, with 1.2
  // dependencies per task); the rest is address space that is never touched.
  double stage_layers = 0;
  for (const StagePieces& st : pieces.stages) stage_layers = std::max(stage_layers, st.layers);
  const double reserve =
      std::min(TaskBound(p, kind, stage_layers, options.per_layer) / 2, kMaxReservedTasks);
  out->graph.Reserve(static_cast<int64_t>(reserve), static_cast<int64_t>(reserve));
  StepExpander expander(out->pieces, p, options, out->schedule, &out->graph);
  PipelineGraphOptions pipeline_options;
  pipeline_options.expand = [&expander](const OpContext& context, TaskGraph&) {
    return expander.Expand(context);
  };
  pipeline_options.track_activations = options.track_activations;
  out->pipeline = AddPipelineTasks(MakeSchedule(out->schedule),
                                   ChunkCostsFor(expander, out->schedule, options.features),
                                   pipeline_options, &out->graph);
  if (!out->pipeline.error.empty()) {
    out->error = out->pipeline.error;
    return;
  }
  for (int32_t s = 0; s < out->schedule.stages; ++s) {
    AddStageTail(s, options.features, &expander, out);
  }
}

}  // namespace planner::sim
