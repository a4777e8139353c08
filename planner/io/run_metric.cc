// A published run's measured metric (TFLOP/s per GPU in the source's accounting, iteration
// time, tokens/s, MFU) to and from a step time; declared in runs_io.h.
#include "planner/core/flops.h"
#include "planner/core/units.h"
#include "planner/io/runs_io.h"

namespace planner {

double SourceStepFlops(const ValidationRun& r) {
  const FlopsOptions o{r.run.model.seq_len, r.run.layout.global_batch, false,
                       r.run.layout.recompute};
  return AccountFlops(r.run.model, o, r.accounting).step_flops;
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
    case RunMetric::kMfuPct: {
      const double peak = r.source_peak_tflops > 0 ? r.source_peak_tflops
                                                   : r.run.cluster.gpu.peak(Dtype::kBf16);
      return 100 * SourceStepFlops(r) / (step_time_s * gpus * peak * kFlopsPerTflop);
    }
  }
  return 0;
}

double StepTimeFromMetric(const ValidationRun& r, double metric) {
  // Every metric is either the step time or inversely proportional to it.
  if (r.metric == RunMetric::kIterationTime) return metric;
  return MetricFromStepTime(r, 1.0) / metric;
}

const char* MetricUnit(RunMetric m) {
  switch (m) {
    case RunMetric::kTflopsPerGpu:
      return "TFLOP/s/GPU";
    case RunMetric::kIterationTime:
      return "s/iteration";
    case RunMetric::kTokensPerS:
      return "tokens/s";
    case RunMetric::kTokensPerSPerGpu:
      return "tokens/s/GPU";
    case RunMetric::kMfuPct:
      return "MFU %";
  }
  return "?";
}

double ReservedBytes(const MemoryBreakdown& m) { return m.total - m.cuda_context - m.comm_buffers; }

}  // namespace planner
