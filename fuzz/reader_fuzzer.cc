// libFuzzer target for the readers of whole files other than model and cluster specs: the runs
// file of `validate` (tests/data/runs.yaml), the compare file, a stack file and the commbench /
// matbench JSON of `calibrate`. Each must accept the input or raise InputError; anything else
// (crash, other exception, sanitizer report) is a bug. The path readers get the bytes through a
// file in the working directory (the fuzzer's build folder), as a user's file would reach them.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "planner/io/bench_io.h"
#include "planner/io/input_error.h"
#include "planner/io/runs_file_io.h"
#include "planner/io/runs_io.h"
#include "planner/io/stack_io.h"
#include "planner/io/yaml_strict.h"

namespace {

template <class F>
void ExpectInputErrorOnly(F read) {
  try {
    read();
  } catch (const planner::InputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string path = "reader-fuzz-input.yaml";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ExpectInputErrorOnly([&] { (void)planner::ReadValidationRuns(path); });
  ExpectInputErrorOnly([&] { (void)planner::ReadCompareFile(path, {}); });
  ExpectInputErrorOnly([&] { (void)planner::ReadStackSpec(planner::ParseYaml(path, text)); });
  ExpectInputErrorOnly([&] { (void)planner::ParseCommbench(path, text); });
  ExpectInputErrorOnly([&] { (void)planner::ParseMatbench(path, text); });
  return 0;
}
