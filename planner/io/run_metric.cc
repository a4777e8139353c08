// A published run's measured metric (TFLOP/s per GPU in the source's accounting, iteration
// time, tokens/s, MFU) to and from a step time; declared in runs_io.h.
#include "planner/core/enum_names.h"
#include "planner/core/flops.h"
#include "planner/core/units.h"
#include "planner/io/runs_io.h"

namespace planner {

double SourceStepFlops(const ValidationRun& r) {
  const FlopsOptions o{r.run.model.seq_len, r.run.layout.global_batch, false,
                       r.run.layout.recompute};
  return AccountFlops(r.run.model, o, r.accounting).step_flops;
}

// Hardware FLOPs over the source's FLOPs: 1 where its convention counts the recompute already
// (Narayanan eq. 3), else every matmul's forward, backward and recomputed forward over the first
// two (full recompute: 8/6, llm-foundry's HFU convention; selective: the attention core's share).
double RecomputeFactor(const ValidationRun& r) {
  const FlopsOptions o{r.run.model.seq_len, 1, false, r.run.layout.recompute};
  if (AccountFlops(r.run.model, o, r.accounting).counts_recompute) return 1;
  const FlopsReport f = ComputeFlops(r.run.model, o);
  return static_cast<double>(f.hardware_step) / static_cast<double>(f.model_step);
}

double MetricFromStepTime(const ValidationRun& r, double step_time_s) {
  const double gpus = static_cast<double>(r.run.layout.gpus());
  const double tokens = static_cast<double>(r.run.layout.global_batch) * r.run.model.seq_len;
  switch (r.metric) {
    case RunMetric::kTflopsPerGpu:
      return SourceStepFlops(r) / (step_time_s * gpus) / kFlopsPerTflop;
    case RunMetric::kIterationTime:
      return step_time_s;
    case RunMetric::kTokensPerS:
      return tokens / step_time_s;
    case RunMetric::kTokensPerSPerGpu:
      return tokens / step_time_s / gpus;
    case RunMetric::kMfuPct:
    case RunMetric::kPctOfPeak:
    case RunMetric::kHfuPct: {
      const double peak = r.source_peak_tflops > 0 ? r.source_peak_tflops
                                                   : r.run.cluster.gpu.peak(Dtype::kBf16);
      const double flops =
          SourceStepFlops(r) * (r.metric == RunMetric::kHfuPct ? RecomputeFactor(r) : 1);
      return 100 * flops / (step_time_s * gpus * peak * kFlopsPerTflop);
    }
    case RunMetric::kAggregatePflops:
      return SourceStepFlops(r) / step_time_s / kFlopsPerPflop;
  }
  return 0;
}

double StepTimeFromMetric(const ValidationRun& r, double metric) {
  // Every metric is either the step time or inversely proportional to it.
  if (r.metric == RunMetric::kIterationTime) return metric;
  return MetricFromStepTime(r, 1.0) / metric;
}

namespace {

// The unit each metric is printed in (validate's metric column and JSON).
constexpr EnumName<RunMetric> kMetricUnits[] = {{RunMetric::kTflopsPerGpu, "TFLOP/s/GPU"},
                                                {RunMetric::kIterationTime, "s/iteration"},
                                                {RunMetric::kTokensPerS, "tokens/s"},
                                                {RunMetric::kTokensPerSPerGpu, "tokens/s/GPU"},
                                                {RunMetric::kMfuPct, "MFU %"},
                                                {RunMetric::kPctOfPeak, "% of peak"},
                                                {RunMetric::kHfuPct, "HFU %"},
                                                {RunMetric::kAggregatePflops, "PFLOP/s"}};

}  // namespace

const char* MetricUnit(RunMetric m) { return NameIn(kMetricUnits, m); }

double ReservedBytes(const MemoryBreakdown& m) { return m.total - m.cuda_context - m.comm_buffers; }

}  // namespace planner
