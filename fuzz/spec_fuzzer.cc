// libFuzzer target: arbitrary bytes as a model spec and as a cluster spec. Any input must either
// parse or raise InputError; anything else (crash, other exception, sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "planner/core/params.h"
#include "planner/io/cluster_io.h"
#include "planner/io/input_error.h"
#include "planner/io/model_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const planner::ModelSpec m = planner::ReadModelSpec(planner::ParseYaml("fuzz.yaml", text));
    (void)planner::CountParams(m);
  } catch (const planner::InputError&) {
  }
  try {
    (void)planner::ReadClusterSpec(planner::ParseYaml("fuzz.yaml", text));
  } catch (const planner::InputError&) {
  }
  return 0;
}
