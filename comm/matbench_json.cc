#include "comm/matbench_json.h"

#include "comm/commbench_json.h"

namespace comm {
namespace {

using nlohmann::json;

json MlpJson(const MatbenchOptions& o, const MlpFigures& m) {
  return {
      {"tokens", o.tokens},
      {"d_model", o.d_model},
      {"d_ff", o.d_ff},
      {"tp", m.tp},
      {"gemm1_us", m.gemm1_us},
      {"gemm2_us", m.gemm2_us},
      {"allreduce_us", m.allreduce_us},
      {"total_us", m.total_us},
      {"allreduce_bytes", m.allreduce_bytes},
      {"flops_per_rank", m.flops_per_rank},
      {"tflops_per_rank", m.tflops_per_rank},
      {"efficiency", OrNull(m.efficiency)},
      {"max_rel_err", OrNull(m.max_rel_err)},
      {"error_bound", m.error_bound},
  };
}

json SweepJson(const std::vector<SweepFigures>& sweep) {
  json rows = json::array();
  for (const SweepFigures& s : sweep) {
    rows.push_back({{"m", s.shape.m},
                    {"n", s.shape.n},
                    {"k", s.shape.k},
                    {"flops", s.flops},
                    {"time_us", s.time_us},
                    {"tflops", s.tflops},
                    {"efficiency", OrNull(s.efficiency)}});
  }
  return rows;
}

}  // namespace

json MatbenchJson(const MatbenchRun& run, const MatbenchOptions& o,
                  const std::optional<MlpFigures>& mlp, const std::vector<SweepFigures>& sweep) {
  json doc = DocumentHeader("matbench", kMatbenchSchemaVersion, run.start_time, run.nranks,
                            run.nodes, run.machine);
  doc.update(TimingJson(o.iters, o.warmup_iters, o.argv));
  doc.update({
      {"engine", run.engine},
      {"comm_backend", run.comm_backend},
      {"dtype", ToString(o.type)},
      {"peak_tflops", o.peak_tflops > 0.0 ? json(o.peak_tflops) : json(nullptr)},
      {"sharded_mlp", mlp ? MlpJson(o, *mlp) : json(nullptr)},
      {"gemm_sweep", SweepJson(sweep)},
  });
  return doc;
}

}  // namespace comm
