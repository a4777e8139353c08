#include "comm/matbench_options.h"

#include <boost/program_options.hpp>
#include <optional>

#include "comm/name_table.h"
#include "comm/parse_args.h"

namespace comm {
namespace po = boost::program_options;
namespace {

constexpr planner::EnumName<EngineChoice> kEngineNames[] = {{EngineChoice::kAuto, "auto"},
                                                            {EngineChoice::kOpenBlas, "openblas"},
                                                            {EngineChoice::kCublas, "cublas"}};
constexpr planner::EnumName<MatbenchMode> kModeNames[] = {
    {MatbenchMode::kAll, "all"}, {MatbenchMode::kMlp, "mlp"}, {MatbenchMode::kSweep, "sweep"}};

struct MatbenchArgs {
  std::string dtype = "float", engine = "auto", mode = "all", shapes;
  int check = 1;
};

po::options_description DescribeMatbench(MatbenchArgs& raw, MatbenchOptions& o) {
  po::options_description d("matbench options");
  // One option per line reads better than the formatter's call chain.
  // clang-format off
  d.add_options()
      ("help,h", "print this help")
      ("tokens", po::value(&o.tokens), "activation rows (micro-batch x sequence) [1024]")
      ("d-model", po::value(&o.d_model), "hidden size [1024]")
      ("d-ff", po::value(&o.d_ff), "MLP inner size; must divide by the rank count [4096]")
      ("dtype,d", po::value(&raw.dtype),
       "float, double (OpenBLAS); float, half, bfloat16, double (cuBLAS) [float]")
      ("iters,n", po::value(&o.iters), "timed iterations [10]")
      ("warmup_iters,w", po::value(&o.warmup_iters), "warm-up iterations [2]")
      ("peak-tflops", po::value(&o.peak_tflops),
       "peak TFLOP/s of one rank's device in this dtype, for efficiency [none]")
      ("engine", po::value(&raw.engine),
       "auto, openblas or cublas [auto: cublas when built with CUDA and a GPU is visible]")
      ("mode", po::value(&raw.mode), "all, mlp (sharded MLP only) or sweep (GEMMs only) [all]")
      ("shapes", po::value(&raw.shapes),
       "sweep shapes MxNxK,MxNxK,... [squares --sweep-min..--sweep-max plus the MLP's]")
      ("sweep-min", po::value(&o.sweep_min), "smallest square GEMM of the default sweep [64]")
      ("sweep-max", po::value(&o.sweep_max), "largest square GEMM of the default sweep [1024]")
      ("check,c", po::value(&raw.check),
       "1: compare the sharded result with an unsharded reference on rank 0 [1]")
      ("json", po::value(&o.json_path), "also write the results as JSON (schema: comm/README.md)")
      ("machine", po::value(&o.machine_label), "free-text machine name recorded in the JSON");
  // clang-format on
  return d;
}

std::optional<std::string> Resolve(const MatbenchArgs& raw, MatbenchOptions& o) {
  const auto type = ParseDType(raw.dtype);
  if (!type || *type == DType::kInt32) {
    return "unknown dtype '" + raw.dtype + "' (float, double, half, bfloat16)";
  }
  o.type = *type;
  if (auto error = ParseFlag(kEngineNames, "engine", raw.engine, o.engine)) return error;
  if (auto error = ParseFlag(kModeNames, "mode", raw.mode, o.mode)) return error;
  if (!raw.shapes.empty()) {
    auto shapes = ParseShapes(raw.shapes);
    if (!shapes) return "invalid --shapes '" + raw.shapes + "' (want MxNxK,MxNxK,...)";
    o.sweep = *shapes;
  }
  if (raw.check < 0 || raw.check > 1) return "-c/--check must be 0 or 1";
  o.check = raw.check == 1;
  return std::nullopt;
}

std::optional<std::string> CheckSizes(const MatbenchOptions& o) {
  constexpr int64_t kMax = int64_t{1} << 20;
  for (auto [name, v] : {std::pair{"--tokens", o.tokens},
                         {"--d-model", o.d_model},
                         {"--d-ff", o.d_ff},
                         {"--sweep-min", o.sweep_min},
                         {"--sweep-max", o.sweep_max}}) {
    if (v < 1 || v > kMax) return std::string(name) + " must be in [1, 1048576]";
  }
  if (o.sweep_min > o.sweep_max) return "--sweep-min is larger than --sweep-max";
  if (auto problem = IterationsProblem(o.iters, o.warmup_iters)) return problem;
  if (o.peak_tflops < 0.0) return "--peak-tflops must not be negative";
  return std::nullopt;
}

}  // namespace

const char* ToString(EngineChoice e) { return planner::NameIn(kEngineNames, e); }

ParseOutcome<MatbenchOptions> ParseMatbenchOptions(int argc, const char* const argv[]) {
  MatbenchOptions o;
  MatbenchArgs raw;
  const po::options_description described = DescribeMatbench(raw, o);
  auto resolve = [&](const po::variables_map&) -> std::optional<std::string> {
    for (auto check : {Resolve(raw, o), CheckSizes(o), MachineLabelProblem(o.machine_label)}) {
      if (check) return check;
    }
    return std::nullopt;
  };
  return ParseCommandLine(argc, argv, described, nullptr,
                          "usage: mpirun -n TP matbench [options]\n", o, resolve);
}

}  // namespace comm
