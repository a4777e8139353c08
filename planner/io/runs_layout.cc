// A published run's layout: parallel degrees, schedule, batch, recompute and precision as the
// record states them, and what it leaves unstated answered by stated rules (docs/validation.md).
#include <algorithm>
#include <string>

#include "planner/core/limits.h"
#include "planner/core/pipeline_stages.h"
#include "planner/core/search.h"
#include "planner/io/format.h"
#include "planner/io/record_defaults.h"
#include "planner/io/runs_fields.h"
#include "planner/io/stack_io.h"

namespace planner::runs {
namespace {

// The recompute a record states, in its source's words (RecomputeInText). The text is the
// source's, not a fixed vocabulary, so wording it does not recognise counts as not stated, with a
// note, instead of failing the whole file.
std::optional<Recompute> ReadRecompute(const StrictMap& t, ValidationRun* v) {
  const std::string rc = StatedString(t, "recompute");
  if (rc.empty()) return std::nullopt;
  const std::optional<Recompute> stated = RecomputeInText(rc);
  if (!stated) {
    v->assumptions.push_back("recompute '" + rc + "' not recognised: taken as not stated");
  }
  return stated;
}

Dtype ReadDtype(const StrictMap& t, ValidationRun* v) {
  const std::string precision = StatedString(t, "precision");
  if (precision.empty()) {
    // bf16, or fp16 on a part without it (V100): what a run on that part used.
    const bool bf16 = v->run.cluster.gpu.peak(Dtype::kBf16) > 0;
    v->assumptions.push_back(bf16 ? "precision not stated: bf16"
                                  : "precision not stated: fp16 (the GPU has no bf16)");
    if (!bf16) return Dtype::kFp16;
  }
  return DtypeInText(precision);
}

// The global batch in sequences: as stated, or from the tokens per batch the record states,
// rounded to a whole number of sequences per data-parallel replica (OPT's "2M tokens" of
// 2048-token sequences over 124 replicas: 8 each, 992).
std::optional<int64_t> GlobalBatch(const StrictMap& b, int64_t dp, ValidationRun* v) {
  if (const std::optional<int64_t> global = StatedInt(b, "global_batch_size")) return global;
  const std::optional<double> tokens = StatedDouble(b, "global_batch_tokens");
  if (!tokens) return std::nullopt;
  if (!(*tokens >= 1 && *tokens < 1e15)) {
    b.Fail("global_batch_tokens", "global_batch_tokens must lie in [1, 1e15)");
  }
  const double sequences = *tokens / static_cast<double>(v->run.model.seq_len);
  const int64_t per_replica = std::max<int64_t>(1, std::llround(sequences / dp));
  v->assumptions.push_back("global batch not stated: " + std::to_string(per_replica * dp) +
                           " sequences (" + GroupedRound(*tokens) + " tokens, a whole number per" +
                           " data-parallel replica)");
  return per_replica * dp;
}

// What the record leaves unstated of recompute and interleaving, as a tuned run (search.h).
bool TuneUnstatedChoices(Unstated u, ValidationRun* v) {
  if (!u.recompute && !u.vpp) return true;
  ParallelConfig& p = v->run.layout;
  const std::optional<ParallelConfig> tuned = TuneUnstated(
      v->run.model, v->run.cluster, p, v->stack, StackOptions(v->stack, v->run.cluster), u);
  if (!tuned) {
    v->skip_reason = "virtual stages of the interleaved schedule not stated, and the " +
                     v->stack.name + " stack runs no vpp > 1 for this layout";
    return false;
  }
  p = *tuned;
  if (u.recompute) {
    v->assumptions.push_back(std::string("recompute not stated: ") + ToString(p.recompute) +
                             " (selective only where none does not fit)");
  }
  if (u.vpp) {
    v->assumptions.push_back("virtual stages not stated: " + std::to_string(p.vpp) +
                             ", the fastest the " + v->stack.name + " stack runs here");
  }
  return true;
}

// dp stated and one of tp, pp, cp not: the GPU count determines it (the torchtitan CP runs state
// dp and cp; a record that leaves cp out is no different). Set here, it is no longer unstated.
void DeriveDeterminedDegree(bool cp_unstated, ValidationRun* v, UnstatedDegrees* u) {
  ParallelConfig& p = v->run.layout;
  if (u->dp || (u->tp + u->pp + cp_unstated) != 1) return;
  const int64_t stated = p.tp * p.pp * p.cp * p.dp;  // the unstated one counts 1
  const int64_t gpus = v->run.cluster.total_gpus();
  if (gpus % stated != 0) return;
  const char* name = u->tp ? "tp" : u->pp ? "pp" : "cp";
  int64_t& degree = u->tp ? p.tp : u->pp ? p.pp : p.cp;
  degree = gpus / stated;
  u->tp = u->pp = false;
  v->assumptions.push_back(std::string(name) + " not stated: " + std::to_string(degree) +
                           ", the GPUs the stated degrees leave (" + std::to_string(gpus) + " / " +
                           std::to_string(stated) + ")");
}

// The parallel degrees, stage split, ZeRO stage and HSDP group the record states.
void ReadDegrees(const StrictMap& par, ValidationRun* v, UnstatedDegrees* u) {
  ParallelConfig& p = v->run.layout;
  auto degree = [&](const char* key, std::optional<int64_t> value) {
    if (value && (*value < 1 || *value > kMaxGpus)) {
      par.Fail(key, std::string(key) + " must lie in [1, 2^22]");
    }
    return value.value_or(1);
  };
  // Unstated tp or pp: 1 until ChooseDegrees picks them.
  u->tp = !Stated(par, "tp");
  u->pp = !Stated(par, "pp");
  p.tp = degree("tp", StatedInt(par, "tp"));
  p.pp = degree("pp", StatedInt(par, "pp"));
  p.cp = degree("cp", StatedInt(par, "cp"));
  p.ep = degree("ep", StatedInt(par, "ep"));
  // Expert tensor parallelism (Megatron-Core); absent: the same as tp. A dense model has no
  // experts, so a config's --expert-tensor-parallel-size copied into its record means nothing.
  if (StatedInt(par, "etp")) {
    const int64_t etp = degree("etp", par.Int("etp"));
    if (v->run.model.is_moe()) {
      p.etp = etp;
    } else if (etp != p.tp) {
      v->assumptions.push_back("etp " + std::to_string(etp) +
                               " ignored: a dense model has no experts");
    }
  }
  p.vpp = degree("virtual_pipeline_stages", StatedInt(par, "virtual_pipeline_stages"));
  // Uneven pipeline stages (pipeline_stages.h); absent: an even split.
  for (auto [key, field] : {std::pair{"first_stage_layers", &p.first_stage_layers},
                            std::pair{"last_stage_layers", &p.last_stage_layers}}) {
    if (auto n = StatedInt(par, key)) {
      if (*n < 1 || *n > kMaxGpus) {
        par.Fail(key, std::string(key) + " must lie in [1, 2^22]");
      }
      *field = *n;
    }
  }
  p.dp = StatedInt(par, "dp") ? degree("dp", par.Int("dp")) : 0;
  u->dp = p.dp == 0;
  DeriveDeterminedDegree(!Stated(par, "cp"), v, u);
  // Sequence parallelism unstated: the stack's default, as explain takes it without --sp.
  const std::optional<bool> sp = StatedBool(par, "sp");
  u->sp = !sp;
  if (sp) {
    p.sp = *sp;
  } else {
    p.sp = v->stack.default_sp && v->stack.sequence_parallel && p.tp > 1;
    if (p.tp > 1) {
      v->assumptions.push_back(std::string("sp not stated: ") + (p.sp ? "on" : "off") + " (the " +
                               v->stack.name + " stack's default)");
    }
  }
  p.uneven_chunks = StatedBool(par, "uneven_chunks").value_or(false);
  if (auto z = StatedInt(par, "zero_stage")) {
    if (*z < 0 || *z > 3) par.Fail("zero_stage", "zero_stage must be 0-3");
    p.zero = static_cast<int>(*z);
  } else {
    p.zero = v->stack.default_zero;
    v->assumptions.push_back("zero_stage not stated: the " + v->stack.name +
                             " stack's default, ZeRO-" + std::to_string(p.zero));
  }
  // Hybrid sharding (HSDP): ZeRO shards over dp_shard ranks; absent: over all of dp, unless the
  // fsdp text states a smaller group (record_defaults.h).
  if (StatedInt(par, "dp_shard")) {
    p.dp_shard = degree("dp_shard", par.Int("dp_shard"));
  } else if (p.zero > 0) {
    const int64_t node_group = v->run.cluster.gpus_per_node / std::max<int64_t>(1, p.tp * p.cp);
    const std::string fsdp = StatedString(par, "fsdp");
    const std::optional<int64_t> group = ShardGroupInFsdpText(fsdp, node_group);
    if (group && *group > 1 && *group < p.dp && p.dp % *group == 0) {
      p.dp_shard = *group;
      v->assumptions.push_back("dp_shard not stated: " + std::to_string(*group) +
                               " (from the fsdp text '" + fsdp.substr(0, 60) + "')");
    }
  }
}

// The pipeline schedule. An interleaved schedule's bubble and memory depend on its virtual stage
// count: priced as plain 1F1B the record would be off by the schedule, not by the model.
// Unstated, it is the stack's default where the run used that stack (not one priced on the
// nearest preset); else this returns true: the fastest the stack runs, chosen once the layout is
// complete.
bool ReadSchedule(const StrictMap& par, const StrictMap& t, ValidationRun* v) {
  ParallelConfig& p = v->run.layout;
  const std::string schedule = StatedString(par, "pipeline_schedule");
  if (Contains(schedule, "DualPipe")) p.schedule = Schedule::kDualPipe;
  if (!(Contains(schedule, "Interleaved") || Contains(schedule, "interleaved")) || p.vpp != 1 ||
      StatedInt(par, "virtual_pipeline_stages")) {
    return false;
  }
  const bool ran_the_stack = StackForFramework(StatedString(t, "framework"), "") == v->stack_name;
  if (v->stack.default_virtual_stages == 0 || !ran_the_stack) return true;
  p.vpp = v->stack.default_virtual_stages;
  v->assumptions.push_back("virtual stages not stated: " + std::to_string(p.vpp) + " (the " +
                           v->stack.name + " stack's default)");
  return false;
}

// dp (the GPUs left by tp, pp and cp when unstated), the global batch and the micro-batch.
void ReadBatch(const StrictMap& par, const StrictMap& b, ValidationRun* v, UnstatedDegrees* u) {
  ParallelConfig& p = v->run.layout;
  std::optional<int64_t> micro = StatedInt(b, "micro_batch_size");
  // Without pipelining the local batch is the micro-batch (FSDP runs without accumulation); a
  // pipeline splits it into micro-batches the record must state.
  if (!micro && Stated(b, "local_batch_size") && p.pp == 1) {
    micro = b.Int("local_batch_size");
    v->assumptions.push_back("micro-batch = local batch " + std::to_string(*micro) +
                             " (no gradient accumulation)");
  }
  if (micro && *micro < 1) b.Fail("micro_batch_size", "micro_batch_size must be positive");
  const int64_t model_parallel = p.tp * p.pp * p.cp;
  if (p.dp == 0) {
    if (v->run.cluster.total_gpus() % model_parallel != 0) {
      par.Fail("tp", "tp*pp*cp does not divide the record's num_gpus");
    }
    p.dp = v->run.cluster.total_gpus() / model_parallel;
  }
  std::optional<int64_t> global = GlobalBatch(b, p.dp, v);
  if (global && (*global < 1 || *global > kMaxGlobalBatch)) {
    b.Fail("global_batch_size", "global_batch_size must lie in [1, 2^30]");
  }
  if (!global) {
    // What `explain` takes when --global-batch is not given (parallel_config.h), at the stated
    // micro-batch or else the stack's (which, with the local batch unknown, is one sequence).
    p.micro_batch = micro.value_or(1);
    global = DefaultGlobalBatch(p);
    v->assumptions.push_back("global batch not stated: " + std::to_string(*global) +
                             (p.pp > 1
                                  ? " sequences, " + std::to_string(kDefaultMicroBatchesPerStage) +
                                        " micro-batches per pipeline stage"
                                  : " sequences, one micro-batch per data-parallel replica"));
  }
  p.global_batch = *global;
  u->micro_batch = !micro;
  if (micro) {
    p.micro_batch = *micro;
  } else {
    // What `explain` takes when --micro-batch is not given, so both price the record alike.
    p.micro_batch = DefaultMicroBatch(v->stack, p);
    // With tp or pp unstated the search picks it, and ChooseDegrees says so.
    if (!u->tp && !u->pp) {
      v->assumptions.push_back("micro-batch not stated: " + std::to_string(p.micro_batch) +
                               " (the " + v->stack.name + " stack's default)");
    }
  }
}

// The stage split where unstated, then the checks explain makes; false (with v->skip_reason)
// when the layout cannot be priced or the stack cannot run it.
bool CheckRecordLayout(ValidationRun* v) {
  ParallelConfig& p = v->run.layout;
  // pp does not divide the layers and the record does not say how they split: the split
  // Megatron-Core users pick (pipeline_stages.h), as `plan` and `explain` would.
  if (const std::string split = ApplyDefaultStageSplit(v->run.model.n_layers, &p); !split.empty()) {
    v->assumptions.push_back("stage split not stated: " + split);
  }
  std::optional<LayoutError> e = CheckLayout(v->run.model, v->run.cluster, p);
  if (e && e->field == LayoutField::kUnevenChunks && v->stack.uneven_chunks) {
    // The stated vpp does not divide the stages, chunks of unequal size would: a stack that
    // takes a pipeline layout runs it that way, as the record's layout requires.
    p.uneven_chunks = true;
    v->assumptions.push_back("vpp=" + std::to_string(p.vpp) +
                             " does not divide the stages: chunks of unequal size (the " +
                             v->stack.name + " stack's pipeline layout)");
    e = CheckLayout(v->run.model, v->run.cluster, p);
  }
  if (e && e->field == LayoutField::kEp && p.etp == 0 && p.tp > 1) {
    // Experts that do not fit the dense grid with etp unstated: folded onto their own grid at
    // expert TP 1 (Megatron-Core's MoE parallel folding), the example the error itself gives.
    p.etp = 1;
    v->assumptions.push_back("etp not stated: 1, ep=" + std::to_string(p.ep) +
                             " does not fit the dense layout's dp*cp (MoE parallel folding)");
    e = CheckLayout(v->run.model, v->run.cluster, p);
  }
  if (e) {
    // The record's parallelism keys are ParallelConfig's names (first_stage_layers, ...).
    v->skip_reason = "layout cannot be priced: " +
                     WithExample(*e, [](LayoutField f) { return std::string(FieldName(f)); });
    return false;
  }
  if (auto why = StackRefuses(v->stack, v->run.model, p)) {
    // explain refuses it too: the record names a stack that cannot run its layout.
    v->skip_reason = kStackRefuses + *why;
    return false;
  }
  return true;
}

// tp and pp where the record states neither or one of them: as a tuned run would have them, the
// fastest layout the stack runs that fits (search.h), every stated choice kept; false (with
// v->skip_reason) when the stack runs none.
bool ChooseDegrees(UnstatedDegrees u, ValidationRun* v) {
  ParallelConfig& p = v->run.layout;
  bool fits = true;
  const std::optional<ParallelConfig> chosen = ChooseUnstatedDegrees(
      v->run.model, v->run.cluster, p, v->stack, StackOptions(v->stack, v->run.cluster), u, &fits);
  if (!chosen) {
    v->skip_reason = "tensor or pipeline degree not stated, and the " + v->stack.name +
                     " stack runs no layout with the stated choices";
    return false;
  }
  p = *chosen;
  std::string text = std::string(u.tp && u.pp ? "tp and pp"
                                 : u.tp       ? "tp"
                                              : "pp") +
                     " not stated: tp " + std::to_string(p.tp) + ", pp " + std::to_string(p.pp);
  if (u.micro_batch) text += ", micro-batch " + std::to_string(p.micro_batch);
  if (u.recompute) text += std::string(", recompute ") + ToString(p.recompute);
  if (u.sp && p.tp > 1) text += p.sp ? ", sp on" : ", sp off";
  v->assumptions.push_back(text + ", the fastest layout the " + v->stack.name + " stack runs here" +
                           (fits ? " that fits" : " (none fits by the memory model)"));
  return true;
}

}  // namespace

bool ReadLayout(const StrictMap& par, const StrictMap& b, const StrictMap& t, ValidationRun* v) {
  UnstatedDegrees u;
  ReadDegrees(par, v, &u);
  const bool choose_vpp = ReadSchedule(par, t, v);
  const std::optional<Recompute> recompute = ReadRecompute(t, v);
  v->run.layout.recompute = recompute.value_or(Recompute::kNone);
  v->run.layout.dtype = ReadDtype(t, v);
  // Megatron-Core's CPU activation offloading, as the benchmark config states it.
  if (const std::optional<int64_t> offload = StatedInt(t, "cpu_offloading_num_layers")) {
    if (*offload < 0 || *offload > kMaxDimension) {
      t.Fail("cpu_offloading_num_layers", "cpu_offloading_num_layers must be a layer count");
    }
    v->run.layout.offload_layers = *offload;
  }
  ReadBatch(par, b, v, &u);
  u.recompute = !recompute;
  if (u.tp || u.pp) {
    if (!ChooseDegrees(u, v)) return false;
    u.recompute = false;  // chosen with the degrees
  }
  if (!CheckRecordLayout(v)) return false;
  return TuneUnstatedChoices(Unstated{u.recompute, choose_vpp}, v);
}

}  // namespace planner::runs
