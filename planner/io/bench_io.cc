#include "planner/io/bench_io.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>

#include "planner/io/input_error.h"
#include "planner/io/read_file.h"
#include "planner/io/suggest.h"

namespace planner {
namespace {

using nlohmann::json;

// A field's place in a document: object keys and array indexes from the root. Printed as
// "rows[3].out_of_place.time_us".
class FieldPath {
 public:
  struct Part {
    std::string key;
    size_t index = 0;
    bool is_index = false;
  };

  FieldPath operator/(const std::string& key) const {
    FieldPath p = *this;
    p.parts_.push_back({key, 0, false});
    return p;
  }
  FieldPath operator/(size_t index) const {
    FieldPath p = *this;
    p.parts_.push_back({"", index, true});
    return p;
  }
  const std::vector<Part>& parts() const { return parts_; }
  std::string ToString() const {
    std::string s;
    for (const Part& p : parts_) {
      s += p.is_index ? "[" + std::to_string(p.index) + "]" : (s.empty() ? "" : ".") + p.key;
    }
    return s;
  }

 private:
  std::vector<Part> parts_;
};

// --- Positions. nlohmann-json 3.11 keeps no source positions in parsed values, so an error about
// a field finds the field again in the text (already known to be valid JSON) by a small scan.

size_t SkipSpace(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

size_t SkipString(std::string_view t, size_t i) {  // t[i] is the opening quote
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\') {
      ++i;
    } else if (t[i] == '"') {
      return i + 1;
    }
  }
  return t.size();
}

size_t SkipValue(std::string_view t, size_t i) {
  if (i >= t.size()) return i;
  if (t[i] == '"') return SkipString(t, i);
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    while (i < t.size()) {
      const char c = t[i];
      if (c == '"') {
        i = SkipString(t, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      ++i;
    }
    return i;
  }
  while (i < t.size() && std::string_view(",}] \t\r\n").find(t[i]) == std::string_view::npos) ++i;
  return i;
}

// Offset of the value of member `key` of the object at `at`, or of element `index` of the array
// there; nullopt when absent. Keys are compared as written (escapes are not decoded).
std::optional<size_t> Child(std::string_view t, size_t at, const FieldPath::Part& part) {
  const char open = part.is_index ? '[' : '{';
  if (at >= t.size() || t[at] != open) return std::nullopt;
  size_t i = SkipSpace(t, at + 1);
  for (size_t n = 0; i < t.size() && t[i] != ']' && t[i] != '}'; ++n) {
    if (!part.is_index) {
      const size_t end = SkipString(t, i);
      const std::string_view name = t.substr(i + 1, end - i - 2);
      i = SkipSpace(t, end);
      if (i < t.size() && t[i] == ':') i = SkipSpace(t, i + 1);
      if (name == part.key) return i;
    } else if (n == part.index) {
      return i;
    }
    i = SkipSpace(t, SkipValue(t, i));
    if (i < t.size() && t[i] == ',') i = SkipSpace(t, i + 1);
  }
  return std::nullopt;
}

// The value at `path`, or the deepest container on the way to it (where a missing key belongs).
size_t Locate(std::string_view t, const FieldPath& path) {
  size_t at = SkipSpace(t, 0);
  for (const FieldPath::Part& part : path.parts()) {
    const std::optional<size_t> next = Child(t, at, part);
    if (!next) break;
    at = *next;
  }
  return at;
}

// 1-based line and column of a byte offset.
std::pair<int, int> LineCol(std::string_view t, size_t offset) {
  offset = std::min(offset, t.size());
  const std::string_view before = t.substr(0, offset);
  const int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  const size_t line_start = before.rfind('\n');
  const size_t col = line_start == std::string_view::npos ? offset : offset - line_start - 1;
  return {line, static_cast<int>(col) + 1};
}

// --- Typed access with errors at the field.

class Doc {
 public:
  Doc(std::string file, std::string text) : file_(std::move(file)), text_(std::move(text)) {
    const size_t nul = text_.find('\0');
    if (nul != std::string::npos) {
      throw InputError(file_,
                       "not a JSON text file (binary data at byte " + std::to_string(nul) + ")");
    }
    try {
      root_ = json::parse(text_);
    } catch (const json::parse_error& e) {
      const auto [line, col] = LineCol(text_, e.byte > 0 ? e.byte - 1 : 0);
      const std::string what = e.what();
      const size_t detail = what.find("syntax error");
      throw InputError(
          file_, line, col,
          "not valid JSON: " + (detail == std::string::npos ? what : what.substr(detail)));
    } catch (const json::out_of_range& e) {
      // A number beyond double's range ("1E400"): nlohmann gives no offset, so point at the
      // number it quotes (the reader fuzzer's find; it used to escape as an internal error).
      const std::string what = e.what();
      const size_t open = what.find('\''), close = what.rfind('\'');
      const std::string number =
          open != std::string::npos && close > open ? what.substr(open + 1, close - open - 1) : "";
      const size_t at = number.empty() ? std::string::npos : text_.find(number);
      const auto [line, col] = LineCol(text_, at == std::string::npos ? 0 : at);
      throw InputError(file_, line, col,
                       "not valid JSON: number " + number + " is out of range (at most ~1.8e308)");
    }
  }

  const json& root() const { return root_; }
  const std::string& file() const { return file_; }

  [[noreturn]] void Fail(const FieldPath& at, const std::string& message) const {
    const auto [line, col] = LineCol(text_, Locate(text_, at));
    const std::string where = at.ToString();
    throw InputError(file_, line, col, where.empty() ? message : where + ": " + message);
  }

  const json& Field(const json& obj, const FieldPath& path, const std::string& key) const {
    if (!obj.is_object()) Fail(path, "must be an object, got " + Kind(obj));
    if (!obj.contains(key)) Fail(path, "missing field '" + key + "'");
    return obj[key];
  }
  const json& Object(const json& obj, const FieldPath& path, const std::string& key) const {
    const json& v = Field(obj, path, key);
    if (!v.is_object()) Fail(path / key, "must be an object, got " + Kind(v));
    return v;
  }
  const json& Array(const json& obj, const FieldPath& path, const std::string& key) const {
    const json& v = Field(obj, path, key);
    if (!v.is_array()) Fail(path / key, "must be an array, got " + Kind(v));
    return v;
  }
  std::string String(const json& obj, const FieldPath& path, const std::string& key) const {
    const json& v = Field(obj, path, key);
    if (!v.is_string()) Fail(path / key, "must be a string, got " + Kind(v));
    return v.get<std::string>();
  }
  // An integer >= min_value.
  int64_t Int(const json& obj, const FieldPath& path, const std::string& key,
              int64_t min_value) const {
    const json& v = Field(obj, path, key);
    const std::string want = min_value == 0   ? "a non-negative integer"
                             : min_value == 1 ? "a positive integer"
                                              : "an integer >= " + std::to_string(min_value);
    if (!v.is_number_integer() ||
        (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX})) {
      Fail(path / key, "must be " + want + ", got " + Shown(v));
    }
    const int64_t n = v.get<int64_t>();
    if (n < min_value) Fail(path / key, "must be " + want + ", got " + std::to_string(n));
    return n;
  }
  // A finite number >= 0 (> 0 when `positive`).
  double Number(const json& obj, const FieldPath& path, const std::string& key,
                bool positive = false) const {
    const json& v = Field(obj, path, key);
    const std::string want = positive ? "a positive number" : "a non-negative number";
    if (!v.is_number()) Fail(path / key, "must be " + want + ", got " + Shown(v));
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < 0 || (positive && x == 0)) {
      Fail(path / key, "must be " + want + ", got " + v.dump());
    }
    return x;
  }
  std::optional<double> NumberOrNull(const json& obj, const FieldPath& path,
                                     const std::string& key) const {
    if (Field(obj, path, key).is_null()) return std::nullopt;
    return Number(obj, path, key, true);
  }
  std::optional<int64_t> IntOrNull(const json& obj, const FieldPath& path,
                                   const std::string& key) const {
    if (Field(obj, path, key).is_null()) return std::nullopt;
    return Int(obj, path, key, 0);
  }
  std::string OneOf(const json& obj, const FieldPath& path, const std::string& key,
                    const std::vector<std::string>& names) const {
    const std::string s = String(obj, path, key);
    if (std::find(names.begin(), names.end(), s) == names.end()) {
      Fail(path / key,
           "must be " + JoinChoices(names) + ", got '" + s + "'" + DidYouMean(s, names));
    }
    return s;
  }

  // Checks `schema` and `schema_version`; a document of the other benchmark says so.
  void CheckSchema(const std::string& expected, int64_t version) const {
    if (!root_.is_object()) {
      Fail({}, "must be a JSON object (" + expected + " --json output), got " + Kind(root_));
    }
    const std::string schema = String(root_, {}, "schema");
    if (schema != expected) {
      const bool other = schema == "commbench" || schema == "matbench";
      Fail(FieldPath() / "schema",
           "is '" + schema + "', expected '" + expected + "'" +
               (other ? " (a " + schema + " file: give it as the " + schema + " input)" : ""));
    }
    const int64_t v = Int(root_, {}, "schema_version", 0);
    if (v != version) {
      Fail(FieldPath() / "schema_version",
           std::to_string(v) + " is not supported: this planner reads " + expected +
               " schema_version " + std::to_string(version) +
               (v > version ? " (the file is from a newer " + expected + ")" : ""));
    }
  }

  static std::string Kind(const json& v) { return v.type_name(); }
  static std::string Shown(const json& v) {
    const std::string s = v.dump();
    return std::string(v.type_name()) + " " + (s.size() > 40 ? s.substr(0, 40) + "..." : s);
  }

 private:
  std::string file_;
  std::string text_;
  json root_;
};

std::string MachineName(const Doc& d, const json& root) {
  const json& m = d.Object(root, {}, "machine");
  const FieldPath at = FieldPath() / "machine";
  const std::string label = d.String(m, at, "label");
  return label.empty() ? d.String(m, at, "hostname") : label;
}

// The schema check, then nranks, machine and start_time: how every commbench and matbench file
// starts.
void ReadHeader(const Doc& d, const std::string& schema, int64_t version, BenchRunHeader* h) {
  d.CheckSchema(schema, version);
  const json& root = d.root();
  h->file = d.file();
  h->nranks = d.Int(root, {}, "nranks", 1);
  h->machine = MachineName(d, root);
  h->start_time = d.String(root, {}, "start_time");
}

BenchTiming ReadTiming(const Doc& d, const json& row, const FieldPath& at, const std::string& key) {
  const json& t = d.Object(row, at, key);
  return {d.Number(t, at / key, "time_us"), d.IntOrNull(t, at / key, "wrong")};
}

std::vector<std::string> CollectiveNames() { return ChoiceNames(Choices(kCollectiveNames)); }

CommbenchRow ReadCommRow(const Doc& d, const json& row, const FieldPath& at, int64_t nranks) {
  CommbenchRow r;
  r.collective = *ParseCollective(d.OneOf(row, at, "collective", CollectiveNames()));
  r.size_bytes = d.Int(row, at, "size_bytes", 0);
  r.bus_factor = d.Number(row, at, "bus_factor", true);
  // The fit recomputes the factor from the collective and rank count; a file that disagrees
  // was not written by this schema's commbench.
  const double expected = BusFactor(r.collective, nranks);
  if (std::abs(r.bus_factor - expected) > 1e-9 * expected) {
    d.Fail(at / "bus_factor", "is " + row["bus_factor"].dump() + ", but " +
                                  ToString(r.collective) + " on " + std::to_string(nranks) +
                                  " ranks has nccl-tests' " + json(expected).dump());
  }
  r.out_of_place = ReadTiming(d, row, at, "out_of_place");
  r.in_place = ReadTiming(d, row, at, "in_place");
  return r;
}

}  // namespace

CommbenchRun ParseCommbench(const std::string& file, const std::string& text) {
  Doc d(file, text);
  CommbenchRun run;
  ReadHeader(d, "commbench", kCommbenchSchemaVersion, &run);
  const json& root = d.root();
  run.backend = d.String(root, {}, "backend");
  run.nodes = d.Int(root, {}, "nodes", 1);
  run.level = d.String(root, {}, "level");
  if (run.level.empty()) d.Fail(FieldPath() / "level", "must name a network level, got ''");
  run.wrong_total = d.Int(root, {}, "wrong_total", 0);
  const json& rows = d.Array(root, {}, "rows");
  if (rows.empty()) d.Fail(FieldPath() / "rows", "no rows: the run measured nothing");
  for (size_t i = 0; i < rows.size(); ++i) {
    run.rows.push_back(ReadCommRow(d, rows[i], FieldPath() / "rows" / i, run.nranks));
  }
  return run;
}

MatbenchRun ParseMatbench(const std::string& file, const std::string& text) {
  Doc d(file, text);
  MatbenchRun run;
  ReadHeader(d, "matbench", kMatbenchSchemaVersion, &run);
  const json& root = d.root();
  run.engine = d.OneOf(root, {}, "engine", {"openblas", "cublas"});
  run.dtype = d.OneOf(root, {}, "dtype", {"float", "double", "half", "bfloat16"});
  run.peak_tflops = d.NumberOrNull(root, {}, "peak_tflops");
  const json& sweep = d.Array(root, {}, "gemm_sweep");
  for (size_t i = 0; i < sweep.size(); ++i) {
    const FieldPath at = FieldPath() / "gemm_sweep" / i;
    run.gemm_sweep.push_back({d.Int(sweep[i], at, "m", 1), d.Int(sweep[i], at, "n", 1),
                              d.Int(sweep[i], at, "k", 1), d.Number(sweep[i], at, "time_us")});
  }
  return run;
}

CommbenchRun ReadCommbench(const std::string& path) { return ParseCommbench(path, ReadInputFile(path, "JSON")); }

MatbenchRun ReadMatbench(const std::string& path) { return ParseMatbench(path, ReadInputFile(path, "JSON")); }

std::vector<double> SelectedTimesUs(const CommbenchRow& row, Placement placement) {
  switch (placement) {
    case Placement::kOutOfPlace:
      return {row.out_of_place.time_us};
    case Placement::kInPlace:
      return {row.in_place.time_us};
    case Placement::kBoth:
      return {row.out_of_place.time_us, row.in_place.time_us};
  }
  return {};
}

int LevelIndex(const ClusterSpec& c, const std::string& level) {
  for (size_t i = 0; i < c.network.size(); ++i) {
    if (c.network[i].name == level) return static_cast<int>(i);
  }
  return -1;
}

std::string ResolveLevel(const ClusterSpec& c, const CommbenchRun& run,
                         const std::optional<std::string>& forced,
                         const std::string& forced_where) {
  std::vector<std::string> names;
  for (const NetworkLevel& l : c.network) names.push_back(l.name);
  const std::string levels = "cluster " + c.name + " has levels " + JoinChoices(names);
  if (forced) {
    if (LevelIndex(c, *forced) < 0) {
      throw InputError(forced_where,
                       "unknown level '" + *forced + "': " + levels + DidYouMean(*forced, names));
    }
    return *forced;
  }
  if (run.level == "intra-node") {
    const NetworkLevel& inner = c.network.front();
    const int64_t size = inner.size > 0 ? inner.size : c.total_gpus();
    if (run.nranks <= size) return inner.name;
    throw InputError(run.file, "level 'intra-node' with " + std::to_string(run.nranks) +
                                   " ranks, but the innermost level of cluster " + c.name + ", " +
                                   inner.name + ", holds " + std::to_string(size) +
                                   " GPUs; name the level with " + forced_where);
  }
  if (run.level == "inter-node") return c.network.back().name;
  if (LevelIndex(c, run.level) >= 0) return run.level;
  throw InputError(run.file, "level '" + run.level + "' is not a network level: " + levels +
                                 DidYouMean(run.level, names) + "; name the level with " +
                                 forced_where);
}

std::vector<calib::CommSample> CommSamples(const CommbenchRun& run, const std::string& level,
                                           const SampleFilter& filter) {
  if (run.wrong_total != 0) {
    throw InputError(run.file, "wrong_total is " + std::to_string(run.wrong_total) +
                                   ": the run failed its correctness check, so its times are "
                                   "not those of a working collective; rerun commbench");
  }
  std::vector<calib::CommSample> samples;
  for (const CommbenchRow& row : run.rows) {
    if (row.size_bytes <= 0 || row.size_bytes < filter.min_bytes ||
        row.size_bytes > filter.max_bytes) {
      continue;
    }
    for (double t_us : SelectedTimesUs(row, filter.placement)) {
      if (t_us <= 0) continue;
      samples.push_back({row.collective, static_cast<int>(run.nranks),
                         static_cast<double>(row.size_bytes), t_us * 1e-6, level});
    }
  }
  return samples;
}

Dtype MatbenchDtype(const MatbenchRun& run) {
  if (run.dtype == "half") return Dtype::kFp16;
  if (run.dtype == "bfloat16") return Dtype::kBf16;
  if (run.dtype == "float") return run.engine == "cublas" ? Dtype::kTf32 : Dtype::kFp32;
  throw InputError(run.file, "dtype " + run.dtype +
                                 ": a cluster spec has no fp64 peak to fit "
                                 "the GEMM efficiency against; run matbench with -d float, half or "
                                 "bfloat16");
}

std::vector<calib::GemmSample> GemmSamples(const MatbenchRun& run) {
  std::vector<calib::GemmSample> samples;
  for (const GemmTiming& g : run.gemm_sweep) {
    if (g.time_us <= 0) continue;
    samples.push_back({static_cast<double>(g.m), static_cast<double>(g.n), static_cast<double>(g.k),
                       g.time_us * 1e-6});
  }
  return samples;
}

void MergeCollectiveFits(const std::vector<CollectiveFit>& fits, EfficiencySpec* e) {
  for (const CollectiveFit& f : fits) {
    auto same =
        std::find_if(e->collectives.begin(), e->collectives.end(), [&](const CollectiveFit& g) {
          return g.collective == f.collective && g.level == f.level && g.nranks == f.nranks;
        });
    if (same != e->collectives.end()) {
      *same = f;
    } else {
      e->collectives.push_back(f);
    }
  }
}

}  // namespace planner
