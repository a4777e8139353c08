// How far a step-time prediction may be from what a run will measure: the P10-P90 band of the
// leave-one-source-out residuals (measured / predicted) of published runs on the same GPU
// generation and software stack. Every step time, day count and dollar figure the planner
// prints carries one. The table is built by `planner validate --write-bands` from
// tests/data/runs.yaml and embedded in the binary (configs/validation/error_bands.yaml).
// Pure: no I/O.
#ifndef PLANNER_CORE_ERROR_BAND_H_
#define PLANNER_CORE_ERROR_BAND_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "planner/core/parallel_config.h"

namespace planner {

struct ErrorBand {
  // Multipliers on the predicted step time: the run is expected to take between
  // predicted * p10_factor and predicted * p90_factor (80% of held-out records fall inside).
  double p10_factor = 1;
  double p90_factor = 1;
  int records = 0;    // held-out records behind the band; 0 = no validation data
  std::string basis;  // e.g. "H100 megatron-core, 14 records" or "all generations, 61 records"
};

// MFU is quoted against the 16-bit dense peak for fp8 and fp4 runs too, as the sources quote it,
// so a prediction is held to the highest measured MFU of its own precision.
enum class MfuClass { k16Bit, kFp8, kFp4 };
inline constexpr int kNumMfuClasses = 3;
MfuClass MfuClassOf(Dtype d);
const char* ToString(MfuClass c);  // "16-bit", "fp8", "fp4"

struct MfuCeiling {
  double mfu = 0;   // the highest measured MFU; 0: no measured run of this precision
  std::string run;  // the record that measured it
};

// One record predicted out of sample: its generation's fit without its source, or (a generation
// too small to fit) terms carried from another generation.
struct HeldOutResidual {
  std::string id, generation, stack;
  double error = 0;         // predicted / measured step time - 1
  double measured_mfu = 0;  // exact model FLOPs / (measured step x GPUs x 16-bit peak)
  std::vector<std::string> features = {};  // LayoutFeatures of its layout
  MfuClass precision = MfuClass::k16Bit;   // which ceiling its measured_mfu counts for
};

struct BandEntry {
  std::string generation;  // "" = every generation
  std::string stack;       // "" = every stack of the generation
  ErrorBand band;
  std::array<MfuCeiling, kNumMfuClasses> ceilings = {};  // by MfuClass, among the records
  std::vector<std::string> features = {};  // every LayoutFeatures name its records used, sorted
  const MfuCeiling& ceiling(MfuClass c) const { return ceilings[static_cast<int>(c)]; }
  MfuCeiling& ceiling(MfuClass c) { return ceilings[static_cast<int>(c)]; }
};

// What a layout uses beyond plain data, tensor and pipeline parallelism that a prediction should
// have seen in a validating run of its GPU generation, by short name: "cp" (context
// parallelism), "zero3" (ZeRO-3 / FSDP full shard), "hsdp" (hybrid sharding), "vpp"
// (interleaved pipeline), "uneven-pp" (stages of unequal size), "fp8", "ep" (expert
// parallelism), "offload" (CPU activation offloading).
std::vector<std::string> LayoutFeatures(const ParallelConfig& p);
// "context parallelism" for "cp", and so on.
const char* FeatureName(const std::string& feature);

// The pseudo-generation of records predicted with terms carried from another GPU generation:
// each fitted generation's records under another fitted generation's terms (CarryFittedTerms), and
// the records of generations too small to fit. Its band is what a GPU whose terms are carried
// (no fitted generation of its own with kMinBandRecords records) should expect.
inline constexpr char kCarriedGeneration[] = "carried";

// The pseudo-generation of the MoE records: priced with the terms fitted on dense runs, never
// fitted on, so their residuals are out of sample as they stand. Its band is an MoE model's,
// whatever its GPU: the dense bands say nothing of routing, token shuffles and all-to-alls.
inline constexpr char kMoeGeneration[] = "moe";

// "H100 megatron-core, 16 held-out records", "all generations, 95 held-out records",
// "terms carried across GPU generations, 163 records", "13 MoE records".
std::string BandBasis(const std::string& generation, const std::string& stack, int records);

// A band needs this many records; smaller groups fall back to the generation, then to all.
inline constexpr int kMinBandRecords = 5;

// Entries for every (generation, stack), every generation and the whole set (bands of fewer
// than kMinBandRecords records are kept for the counts and ceilings, not used as bands).
std::vector<BandEntry> BuildBands(const std::vector<HeldOutResidual>& residuals);

// Raises the table's MFU ceilings to what `more` measured: published runs the fit never uses
// (tests/data/heldout/) still bound what has been measured on their GPU. Only the entries the
// table holds move: all generations, the record's generation, and its (generation, stack).
void RaiseCeilings(const std::vector<HeldOutResidual>& more, std::vector<BandEntry>* table);

// The most specific band with enough records: for an MoE model the MoE records' band; then
// (generation, stack), generation, then all generations, or, for a GPU whose efficiency terms
// are carried from another generation, the carried records' band.
ErrorBand FindBand(const std::vector<BandEntry>& table, const std::string& generation,
                   const std::string& stack, bool terms_carried = false, bool moe = false);

// Held-out records of `stack` on `generation` (0: no published run validates that pairing).
int ValidatedRecords(const std::vector<BandEntry>& table, const std::string& generation,
                     const std::string& stack);

// The generation's entry (its MFU ceilings), if validation covered it.
const BandEntry* FindGenerationEntry(const std::vector<BandEntry>& table,
                                     const std::string& generation);

// The q-quantile (0..1) of `values` by linear interpolation between order statistics.
double Quantile(std::vector<double> values, double q);

}  // namespace planner

#endif  // PLANNER_CORE_ERROR_BAND_H_
