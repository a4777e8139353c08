// What a published-run record (tests/data/runs.yaml's schema) may leave out and the runs reader
// infers from what it does state, each as a rule over the record's own text, never per source:
// the software stack from its framework, the primary metric from the measured keys present, the
// FLOP accounting from its formula text, a power limit from its GPU text. The project's own
// records state all four; a file written to the bare schema (no `training.stack`,
// `measured.primary` or `measured.accounting`) reads the same (validation_runs_test.cc).
#ifndef PLANNER_IO_RECORD_DEFAULTS_H_
#define PLANNER_IO_RECORD_DEFAULTS_H_

#include <optional>
#include <string>
#include <vector>

namespace planner {

// The configs/stacks preset a framework text names ("NeMo 24.07 / Megatron-Core" ->
// megatron-core, "Composer + PyTorch FSDP" -> llm-foundry, "Megatron-LM (2022)" -> megatron-lm,
// a Megatron-LM of 2021 or before -> megatron-lm-sc21, of 2024 or later -> megatron-core),
// looking at `source` for the year when the framework gives none; "" when nothing is recognised.
std::string StackForFramework(const std::string& framework, const std::string& source);

// The measured key that is the run's time measurement, most direct first: iteration time,
// tokens/s, tokens/s per GPU, then TFLOP/s per GPU and MFU (which need a FLOP convention); ""
// when none is present. `present` holds the measured keys the record states.
std::string PrimaryMetricKey(const std::vector<std::string>& present);

// The FLOP accounting (runs_io's names: narayanan, korthikanti, megatron-core, palm, 6nd) the
// record's flops_formula text describes; 6nd when it names none.
std::string AccountingForFormula(const std::string& formula);

// "H100 96GB HBM2e (Grand Teton, 500W power limit)" -> 500.
std::optional<double> PowerLimitInGpuText(const std::string& gpu);

}  // namespace planner

#endif  // PLANNER_IO_RECORD_DEFAULTS_H_
