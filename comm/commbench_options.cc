#include "comm/commbench_options.h"

#include <boost/program_options.hpp>
#include <optional>
#include <sstream>

#include "comm/name_table.h"
#include "comm/parse_args.h"

namespace comm {
namespace po = boost::program_options;
namespace {

constexpr planner::EnumName<BackendChoice> kBackendNames[] = {
    {BackendChoice::kAuto, "auto"}, {BackendChoice::kMpi, "mpi"}, {BackendChoice::kNccl, "nccl"}};

struct CommbenchArgs {
  std::string min_bytes = "32M", max_bytes = "32M", step_bytes = "1M";
  std::string datatype = "float", op = "sum", backend = "auto";
  int step_factor = 1;
  std::vector<std::string> collectives;
};

po::options_description DescribeCommbench(CommbenchArgs& raw, CommbenchOptions& o) {
  po::options_description d("commbench options (nccl-tests flags keep their meanings)");
  // One option per line reads better than the formatter's call chain.
  // clang-format off
  d.add_options()
      ("help,h", "print this help")
      ("minbytes,b", po::value(&raw.min_bytes),
       "smallest message, bytes (K/M/G suffixes: 1024-based) [32M; mpi: 1K]")
      ("maxbytes,e", po::value(&raw.max_bytes), "largest message, bytes [32M; mpi: 4M]")
      ("stepbytes,i", po::value(&raw.step_bytes), "increment when -f is 1 [1M]")
      ("stepfactor,f", po::value(&raw.step_factor),
       "multiply the size by this each step [1; mpi: 4]")
      ("iters,n", po::value(&o.iters), "timed iterations per size [20; mpi: 5]")
      ("warmup_iters,w", po::value(&o.warmup_iters), "warm-up iterations per size [1]")
      ("check,c", po::value(&o.check), "correctness checks per size, 0 to skip [1]")
      ("datatype,d", po::value(&raw.datatype), "float, half, bfloat16, double, int32 [float]")
      ("op,o", po::value(&raw.op), "sum, prod, max, min, avg [sum]")
      ("root,r", po::value(&o.root), "root rank of broadcast and reduce [0]")
      ("blocking,z", po::value(&o.blocking), "1: synchronise and barrier after every call [0]")
      ("backend", po::value(&raw.backend),
       "auto, mpi or nccl; auto picks nccl when built with CUDA and a GPU is visible [auto]")
      ("collective", po::value(&raw.collectives)->multitoken(),
       "collectives to run, comma-separated, or all [all]")
      ("json", po::value(&o.json_path),
       "also write every row as JSON to this file (schema: comm/README.md)")
      ("machine", po::value(&o.machine_label), "free-text machine name recorded in the JSON")
      ("level", po::value(&o.level),
       "network level the ranks span, recorded in the JSON [intra-node or inter-node]");
  // clang-format on
  return d;
}

std::optional<std::string> ResolveCollectives(const std::vector<std::string>& names,
                                              std::vector<const Collective*>& out) {
  for (const std::string& list : names) {
    std::stringstream stream(list);
    std::string name;
    while (std::getline(stream, name, ',')) {
      if (name.empty()) continue;
      if (name == "all") {
        out.insert(out.end(), AllCollectives().begin(), AllCollectives().end());
      } else if (const Collective* c = FindCollective(name)) {
        out.push_back(c);
      } else {
        return "unknown collective '" + name + "' (" + planner::CollectiveNameList() + ", all)";
      }
    }
  }
  if (out.empty()) out = AllCollectives();
  return std::nullopt;
}

std::optional<std::string> ResolveSizes(const CommbenchArgs& raw, SizeSweep& sweep) {
  const auto min = ParseSize(raw.min_bytes), max = ParseSize(raw.max_bytes),
             step = ParseSize(raw.step_bytes);
  if (!min) return "invalid size '" + raw.min_bytes + "' for -b/--minbytes";
  if (!max) return "invalid size '" + raw.max_bytes + "' for -e/--maxbytes";
  if (!step) return "invalid size '" + raw.step_bytes + "' for -i/--stepbytes";
  sweep.min_bytes = *min;
  sweep.max_bytes = *max;
  sweep.step_bytes = *step;
  if (raw.step_factor < 1) return "-f/--stepfactor must be at least 1";
  sweep.step_factor = static_cast<uint64_t>(raw.step_factor);
  if (sweep.min_bytes > sweep.max_bytes) return "-b/--minbytes is larger than -e/--maxbytes";
  if (ExpandSizes(sweep).empty()) return "-f is 1 and -i is 0: the size sweep cannot advance";
  return std::nullopt;
}

std::optional<std::string> ResolveNames(const CommbenchArgs& raw, CommbenchOptions& o) {
  for (auto error : {ParseFlag(kDTypeNames, "datatype", raw.datatype, o.type),
                     ParseFlag(kRedOpNames, "op", raw.op, o.op),
                     ParseFlag(kBackendNames, "backend", raw.backend, o.backend)}) {
    if (error) return error;
  }
  return std::nullopt;
}

std::optional<std::string> CheckCounts(const CommbenchOptions& o) {
  if (auto problem = IterationsProblem(o.iters, o.warmup_iters)) return problem;
  if (o.check < 0) return "-c/--check must not be negative";
  if (o.root < 0) return "-r/--root must not be negative";
  if (o.blocking < 0 || o.blocking > 1) return "-z/--blocking must be 0 or 1";
  return std::nullopt;
}

}  // namespace

const char* ToString(BackendChoice b) { return planner::NameIn(kBackendNames, b); }

void ApplyBackendDefaults(BackendChoice resolved, CommbenchOptions& o) {
  if (resolved != BackendChoice::kMpi) return;
  if (!o.sweep_given) {
    o.sweep.min_bytes = kMpiDefaultMinBytes;
    o.sweep.max_bytes = kMpiDefaultMaxBytes;
    o.sweep.step_factor = kMpiDefaultStepFactor;
  }
  if (!o.iters_given) o.iters = kMpiDefaultIters;
}

ParseOutcome<CommbenchOptions> ParseCommbenchOptions(int argc, const char* const argv[]) {
  CommbenchOptions o;
  CommbenchArgs raw;
  const po::options_description described = DescribeCommbench(raw, o);
  po::positional_options_description positional;
  positional.add("collective", -1);
  auto resolve = [&](const po::variables_map& vm) -> std::optional<std::string> {
    for (auto check :
         {MachineLabelProblem(o.machine_label), ResolveSizes(raw, o.sweep), ResolveNames(raw, o),
          ResolveCollectives(raw.collectives, o.collectives), CheckCounts(o)}) {
      if (check) return check;
    }
    o.sweep_given = vm.count("minbytes") || vm.count("maxbytes") || vm.count("stepbytes") ||
                    vm.count("stepfactor");
    o.iters_given = vm.count("iters") > 0;
    return std::nullopt;
  };
  return ParseCommandLine(argc, argv, described, &positional,
                          "usage: mpirun -n N commbench [options] [collective ...]\n", o, resolve);
}

}  // namespace comm
