// What the runs reader's files share (runs_io.cc reads a record, runs_hardware.cc its hardware):
// the "stated" accessors (the records write null for "not stated") and text tests. Internal to
// planner/io.
#ifndef PLANNER_IO_RUNS_FIELDS_H_
#define PLANNER_IO_RUNS_FIELDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "planner/io/runs_io.h"
#include "planner/io/yaml_strict.h"

namespace planner::runs {

inline bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}
inline bool StartsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

// A key that is present with a value (the records write null for "not stated").
inline bool Stated(const StrictMap& m, const std::string& key) {
  return m.Has(key) && !m.Value(key).IsNull();
}
inline std::optional<int64_t> StatedInt(const StrictMap& m, const std::string& key) {
  return Stated(m, key) ? std::optional<int64_t>(m.Int(key)) : std::nullopt;
}
inline std::optional<double> StatedDouble(const StrictMap& m, const std::string& key) {
  return Stated(m, key) ? std::optional<double>(m.Double(key)) : std::nullopt;
}
inline std::string StatedString(const StrictMap& m, const std::string& key) {
  return Stated(m, key) ? m.String(key) : "";
}
inline std::optional<bool> StatedBool(const StrictMap& m, const std::string& key) {
  return Stated(m, key) ? std::optional<bool>(m.Bool(key)) : std::nullopt;
}

// The start of the skip reason of a record whose stack cannot run its layout.
inline const std::string kStackRefuses = "the record's stack cannot run its layout: ";

// The layout (runs_layout.cc) from the record's parallelism, batch and training blocks, with what
// they leave unstated answered by rule; false (with v->skip_reason) when it cannot be priced or
// the stack cannot run it.
bool ReadLayout(const StrictMap& par, const StrictMap& b, const StrictMap& t, ValidationRun* v);

// The hardware block: the cluster preset (by GPU part, network and `hardware.cluster`), the
// GPU count (unstated: `layout_gpus`, the product of the stated degrees, where known), a stated
// power limit; sets v->skip_reason when no preset describes the part.
void ReadHardware(const StrictMap& r, std::optional<int64_t> layout_gpus, ValidationRun* v);

}  // namespace planner::runs

#endif  // PLANNER_IO_RUNS_FIELDS_H_
