#include "comm/matbench_json.h"

#include "comm/commbench_json.h"

namespace comm {
namespace {

using nlohmann::json;

json Optional(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

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
      {"efficiency", Optional(m.efficiency)},
      {"max_rel_err", Optional(m.max_rel_err)},
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
                    {"efficiency", Optional(s.efficiency)}});
  }
  return rows;
}

}  // namespace

json MatbenchJson(const MatbenchRun& run, const MatbenchOptions& o,
                  const std::optional<MlpFigures>& mlp, const std::vector<SweepFigures>& sweep) {
  return {
      {"schema", "matbench"},
      {"schema_version", kMatbenchSchemaVersion},
      {"start_time", run.start_time},
      {"engine", run.engine},
      {"comm_backend", run.comm_backend},
      {"nranks", run.nranks},
      {"nodes", run.nodes},
      {"machine", MachineJson(run.machine)},
      {"dtype", ToString(o.type)},
      {"peak_tflops", o.peak_tflops > 0.0 ? json(o.peak_tflops) : json(nullptr)},
      {"iters", o.iters},
      {"warmup_iters", o.warmup_iters},
      {"time_statistic", "max over ranks of the mean over iterations"},
      {"argv", o.argv},
      {"sharded_mlp", mlp ? MlpJson(o, *mlp) : json(nullptr)},
      {"gemm_sweep", SweepJson(sweep)},
  };
}

}  // namespace comm
