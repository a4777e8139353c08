// Readers of commbench and matbench JSON (schemas in comm/README.md), and the step from their rows
// to calibration samples and a cluster's efficiency block (`planner calibrate`,
// `planner validate --bench`).
//
// Strict: `schema` and `schema_version` must match, every field the planner reads must be present
// with its documented type and range, and each error is an InputError at file:line:col naming
// the field ("run.json:14:21: rows[0].size_bytes: must be a non-negative integer, got -8").
// Fields the planner does not read are not checked, and unknown fields are accepted: a schema
// version may gain fields, never lose them or change their meaning.
#ifndef PLANNER_IO_BENCH_IO_H_
#define PLANNER_IO_BENCH_IO_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "planner/core/calibrate.h"
#include "planner/core/cluster_spec.h"

namespace planner {

inline constexpr int64_t kCommbenchSchemaVersion = 1;
inline constexpr int64_t kMatbenchSchemaVersion = 1;

struct BenchTiming {
  double time_us = 0;            // max over ranks of the mean over iterations
  std::optional<int64_t> wrong;  // wrong elements; nullopt when not checked
};

struct CommbenchRow {
  Collective collective = Collective::kAllReduce;
  int64_t size_bytes = 0;  // algorithm bytes of one rank (nccl-tests' size column)
  double bus_factor = 1;   // busbw / algbw
  BenchTiming out_of_place;
  BenchTiming in_place;
};

// The fields both schemas share.
struct BenchRunHeader {
  std::string file;
  int64_t nranks = 0;
  std::string machine;  // machine.label, else machine.hostname
  std::string start_time;
};

struct CommbenchRun : BenchRunHeader {
  std::string backend;  // mpi or nccl
  int64_t nodes = 0;
  std::string level;               // as recorded: intra-node, inter-node, or commbench --level
  std::vector<CommbenchRow> rows;  // in run order; never empty
  int64_t wrong_total = 0;
};

struct GemmTiming {
  int64_t m = 0, n = 0, k = 0;
  double time_us = 0;
};

struct MatbenchRun : BenchRunHeader {
  std::string engine;  // openblas or cublas
  std::string dtype;   // float, double, half, bfloat16
  std::optional<double> peak_tflops;  // matbench --peak-tflops, per rank
  std::vector<GemmTiming> gemm_sweep;
};

// `file` labels errors; `text` is the whole document.
CommbenchRun ParseCommbench(const std::string& file, const std::string& text);
MatbenchRun ParseMatbench(const std::string& file, const std::string& text);
// Missing or unreadable files are InputErrors naming the path.
CommbenchRun ReadCommbench(const std::string& path);
MatbenchRun ReadMatbench(const std::string& path);

// Which timings of a row become samples. Out of place by default: in place, MPI's send/recv and
// reduce-scatter add a local copy, which is not the cost the planner models.
enum class Placement { kOutOfPlace, kInPlace, kBoth };

struct SampleFilter {
  Placement placement = Placement::kOutOfPlace;
  int64_t min_bytes = 0;
  int64_t max_bytes = std::numeric_limits<int64_t>::max();
};

// The timings of `row` that `placement` selects (one or two), in microseconds.
std::vector<double> SelectedTimesUs(const CommbenchRow& row, Placement placement);

// The cluster network level a run's ranks span. `forced` (the user's choice, given at
// `forced_where`) must name a level of the cluster. Otherwise the run's own level: "intra-node" is
// the innermost level (when the ranks fit in one of its domains), "inter-node" the outermost, and
// anything else must be a level name. Errors name `forced_where` or the run's file.
std::string ResolveLevel(const ClusterSpec& c, const CommbenchRun& run,
                         const std::optional<std::string>& forced, const std::string& forced_where);
int LevelIndex(const ClusterSpec& c, const std::string& level);  // -1 when absent

// Samples for calib::FitAllAlphaBeta, tagged with `level`. Rows with a size or time of zero are
// left out (the fit ignores them anyway). A run whose correctness check failed is an InputError:
// its times measure a broken collective.
std::vector<calib::CommSample> CommSamples(const CommbenchRun& run, const std::string& level,
                                           const SampleFilter& filter);

// The cluster dtype a matbench sweep ran in: double has none (InputError); float is fp32 on
// OpenBLAS and tf32 on cuBLAS (matbench runs float GEMMs as TF32 there).
Dtype MatbenchDtype(const MatbenchRun& run);
std::vector<calib::GemmSample> GemmSamples(const MatbenchRun& run);

// Puts `fits` into `e`: a fit replaces the one of the same collective, level and rank count, and
// the others are kept (a calibration at 8 ranks does not erase one at 2).
void MergeCollectiveFits(const std::vector<CollectiveFit>& fits, EfficiencySpec* e);

}  // namespace planner

#endif  // PLANNER_IO_BENCH_IO_H_
