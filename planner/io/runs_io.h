// Reads tests/data/runs.yaml, the published measured training runs, into MeasuredRuns that the
// step-time model can predict: a ModelSpec from the record's model block, the cluster preset for
// its hardware at its GPU count, its parallel layout, its software stack (configs/stacks, named
// by training.stack, with what the record itself states: DDP implementation, async TP,
// torch.compile, attention kernel) and the measured quantity (measured.primary) converted to a
// step time with the source's FLOP accounting (measured.accounting). Nothing depends on which
// publication a record comes from. Records whose layout is not stated are kept,
// marked skipped with the reason. Errors are InputErrors at file:line:col.
#ifndef PLANNER_IO_RUNS_IO_H_
#define PLANNER_IO_RUNS_IO_H_

#include <optional>
#include <string>
#include <vector>

#include "planner/core/fit.h"
#include "planner/core/flops.h"
#include "planner/core/stack_spec.h"

namespace planner {

// The quantity a source reports per run.
enum class RunMetric {
  kTflopsPerGpu,      // FLOP/s per GPU in the source's accounting (Narayanan 2021)
  kIterationTime,     // seconds per step (Korthikanti 2022)
  kTokensPerS,        // tokens/s of the whole run (llm-foundry)
  kTokensPerSPerGpu,  // tokens/s per GPU (torchtitan, NeMo)
  kMfuPct,            // model FLOPs utilisation in percent of the source's stated peak
  kPctOfPeak,         // the source's FLOP/s in percent of its peak (Narayanan 2021 Table 1)
  kHfuPct,            // hardware FLOPs utilisation: kMfuPct with the recomputed forward work
  kAggregatePflops,   // FLOP/s of the whole run in the source's accounting, in PFLOP/s
};

struct ValidationRun {
  MeasuredRun run;             // model, cluster, layout, options, measured step time
  int line = 0;                // of the record in the file
  std::string source_title;    // the record's `source` text
  std::string family;          // the record's model family
  std::string cluster_preset;  // the preset the hardware maps to
  std::string hardware_note;   // how the record's GPU maps onto that preset
  Accounting accounting = Accounting::kExact;  // the source's FLOP convention
  RunMetric metric = RunMetric::kIterationTime;
  std::string metric_key;          // the record's measured.primary
  double source_peak_tflops = 0;   // the peak the source divides by (0: not stated)
  std::string stack_name;          // training.stack as written
  StackSpec stack;                 // with the record's stated overrides applied
  std::vector<std::string> stack_overrides;  // "overlap.dp=none", ... (as --stack-set takes them)
  double metric_value = 0;                    // as the source states it
  std::optional<double> measured_memory_GiB;  // torch.cuda max reserved, where stated
  double peak_scale = 1;  // the run's sustained peak / the preset's (< 1 under a power limit)
  // The scale-out bandwidth per GPU its interconnect text states, where no preset of its GPU and
  // scale-up domain has it: the preset's outermost network level runs at this instead (0: none).
  double stated_scaleout_GBps = 0;
  std::optional<int64_t> total_params;        // as the record states it
  std::vector<std::string> assumptions;       // what the record leaves unstated and what we assume
  std::vector<std::string> unread_keys;  // keys the reader does not use, "hardware.nic (line 30)"
  std::string skip_reason;  // non-empty: not predicted (layout or batch not stated)
  // A mixture-of-experts model (model.preset): priced, but kept out of the efficiency fit and
  // the error bands, which are fitted on dense runs, and reported apart.
  bool moe = false;

  bool skipped() const { return !skip_reason.empty(); }
};

// Reads every record; the I/O errors and malformed records are InputErrors naming file:line:col.
std::vector<ValidationRun> ReadValidationRuns(const std::string& path);

// The source's own metric for a step time (e.g. Narayanan's eq.-3 TFLOP/s per GPU), and back.
double MetricFromStepTime(const ValidationRun& r, double step_time_s);
double StepTimeFromMetric(const ValidationRun& r, double metric);
const char* MetricUnit(RunMetric m);  // "TFLOP/s/GPU (eq. 3)", "s", "tokens/s", "tokens/s/GPU"

// FLOPs of one step in the source's accounting.
double SourceStepFlops(const ValidationRun& r);

// Memory the source measures (torch.cuda max reserved): the model's total without the CUDA
// context and NCCL buffers, which PyTorch's caching allocator does not hold.
double ReservedBytes(const MemoryBreakdown& m);

}  // namespace planner

#endif  // PLANNER_IO_RUNS_IO_H_
