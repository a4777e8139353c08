#include "planner/io/yaml_strict.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "planner/io/input_error.h"
#include "planner/io/read_file.h"
#include "planner/io/suggest.h"

namespace planner {
namespace {

constexpr size_t kMinMisspeltKey = 5;

// yaml-cpp marks are 0-based; a node built without a source position reports -1.
int Line(const YAML::Mark& m) { return m.line >= 0 ? m.line + 1 : 1; }
int Col(const YAML::Mark& m) { return m.column >= 0 ? m.column + 1 : 1; }

// yaml-cpp tags a plain scalar "?", a quoted one "!", and an explicitly tagged one with its tag.
bool IsTagged(const YAML::Node& n) { return n.Tag() != "?" && n.Tag() != "!"; }

const char* KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing (null)";
    case YAML::NodeType::Scalar:
      if (n.Tag() == "!") return "a quoted string";
      return IsTagged(n) ? "a tagged scalar" : "a scalar";
    default: return "an undefined value";
  }
}

// A plain (unquoted, untagged) scalar, or an error saying what was found instead. A tag such as
// `!!str 4` says "a string" as clearly as quotes do, so it is refused the same way.
const std::string& PlainScalar(const std::string& file, const YAML::Node& n,
                               const std::string& what, const char* expected) {
  if (!n.IsScalar() || n.Tag() != "?") {
    FailAt(file, n, what + " must be " + expected + ", got " + KindName(n) +
                        (n.IsScalar() ? " '" + n.Scalar() + "'" : ""));
  }
  return n.Scalar();
}

// Records where a document's root node starts (what node.Mark() reports), and nothing else.
class RootMark : public YAML::EventHandler {
 public:
  YAML::Mark mark = YAML::Mark::null_mark();

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { Note(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { Note(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Note(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Note(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Note(m);
  }
  void OnMapEnd() override {}

 private:
  void Note(const YAML::Mark& m) {
    if (!seen_) mark = m;
    seen_ = true;
  }
  bool seen_ = false;
};

}  // namespace

void FailAt(const std::string& file, const YAML::Node& node, const std::string& msg) {
  const YAML::Mark m = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
  throw InputError(file, Line(m), Col(m), msg);
}

YAML::Node ParseOneDocument(const std::string& file, const std::string& text,
                            const std::string& second_document_note) {
  try {
    // At most two documents are read, not YAML::LoadAll: on a stray flow token at the top level
    // (a file that is just ",") yaml-cpp 0.7 yields empty documents without end, and LoadAll
    // collects them until memory runs out (the spec fuzzer's out-of-memory stop; the reader
    // fuzzer's minute-long runs file).
    std::istringstream in(text);
    YAML::Parser parser(in);
    RootMark first, second;
    if (parser.HandleNextDocument(first) && parser.HandleNextDocument(second)) {
      throw InputError(file, Line(second.mark), Col(second.mark),
                       "a second YAML document ('---')" + second_document_note);
    }
    return YAML::Load(text);  // the first document only
  } catch (const YAML::Exception& e) {
    throw InputError(file, Line(e.mark), Col(e.mark), "not valid YAML: " + e.msg);
  }
}

YamlDoc ParseYaml(const std::string& file, const std::string& text) {
  const size_t nul = text.find('\0');
  if (nul != std::string::npos) {
    throw InputError(file, "not a YAML text file (binary data at byte " + std::to_string(nul) +
                               "); expected a YAML mapping of keys");
  }
  CheckUtf8(file, text, "YAML");
  CheckInputItems(file, text, "YAML");
  YamlDoc doc{file, ParseOneDocument(file, text, " in one file; a file holds one spec")};
  if (!doc.root.IsDefined() || doc.root.IsNull()) {
    throw InputError(file, "file is empty; expected a YAML mapping of keys");
  }
  if (!doc.root.IsMap()) {
    FailAt(file, doc.root, std::string("expected a YAML mapping of keys, got ") +
                               KindName(doc.root));
  }
  return doc;
}

YamlDoc LoadYamlFile(const std::string& path) { return ParseYaml(path, ReadInputFile(path, "YAML")); }

int64_t ToInt(const std::string& file, const YAML::Node& n, const std::string& what) {
  const std::string& s = PlainScalar(file, n, what, "an integer");
  int64_t v = 0;
  const char* begin = s.data() + (s.size() > 1 && s[0] == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) {
    FailAt(file, n, what + " = " + s + " is out of range for a 64-bit integer");
  }
  if (ec != std::errc() || end != s.data() + s.size()) {
    FailAt(file, n, what + " must be an integer, got '" + s + "'");
  }
  return v;
}

double ToDouble(const std::string& file, const YAML::Node& n, const std::string& what) {
  const std::string& s = PlainScalar(file, n, what, "a number");
  double v = 0;
  const char* begin = s.data() + (s.size() > 1 && s[0] == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    FailAt(file, n, what + " must be a number, got '" + s + "'");
  }
  if (!std::isfinite(v)) FailAt(file, n, what + " must be a finite number, got '" + s + "'");
  return v;
}

bool ToBool(const std::string& file, const YAML::Node& n, const std::string& what) {
  const std::string& s = PlainScalar(file, n, what, "true or false");
  if (s == "true") return true;
  if (s == "false") return false;
  FailAt(file, n, what + " must be true or false, got '" + s + "'");
}

std::string ToString(const std::string& file, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) FailAt(file, n, what + " must be a string, got " + KindName(n));
  return n.Scalar();
}

StrictMap::StrictMap(std::string file, const YAML::Node& node,
                     const std::vector<std::string>& allowed, const std::string& context,
                     std::string prefix)
    : StrictMap(std::move(file), node, allowed, context, std::move(prefix), nullptr) {}

StrictMap::StrictMap(std::string file, const YAML::Node& node,
                     const std::vector<std::string>& allowed, const std::string& context,
                     std::vector<std::string>* unread)
    : StrictMap(std::move(file), node, allowed, context, "", unread) {}

StrictMap::StrictMap(std::string file, const YAML::Node& node,
                     const std::vector<std::string>& allowed, const std::string& context,
                     std::string prefix, std::vector<std::string>* unread)
    : file_(std::move(file)), node_(node), prefix_(std::move(prefix)), unread_(unread) {
  if (!node.IsMap()) {
    FailAt(file_, node, context + " must be a mapping of keys, got " + KindName(node));
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: the iterator yields a temporary
    const std::string name = key.IsScalar() ? key.Scalar() : "";
    if (name.empty()) FailAt(file_, key, "keys of " + context + " must be plain names");
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      // An open mapping (a published record's, which may state more than is read) takes only a
      // key of kMinMisspeltKey characters or more near a known one for a misspelling: a shorter
      // one is a word of its own more often (cpu beside gpu, vpp beside pp, zero beside
      // zero_stage), and failing would leave every record of the file unanswered.
      const std::string near = NearKey(name, allowed);
      if (unread_ == nullptr || (!near.empty() && name.size() >= kMinMisspeltKey)) {
        FailAt(file_, key,
               "unknown key '" + prefix_ + name + "' in " + context + DidYouMeanText(near));
      }
      const std::string said =
          prefix_ + name + " (line " + std::to_string(key.Mark().line + 1) + ")";
      if (std::find(unread_->begin(), unread_->end(), said) == unread_->end()) {
        unread_->push_back(said);
      }
      continue;
    }
    if (!entries_.emplace(name, it->second).second) {
      FailAt(file_, key, "duplicate key '" + prefix_ + name + "' in " + context);
    }
    keys_.emplace(name, key);
  }
}

std::string StrictMap::NearKey(const std::string& name, const std::vector<std::string>& allowed) {
  const std::string close = ClosestMatch(name, allowed);
  if (!close.empty()) return close;
  const auto longer = std::find_if(allowed.begin(), allowed.end(),
                                   [&](const std::string& a) { return a.starts_with(name + "_"); });
  return longer == allowed.end() ? "" : *longer;
}

const YAML::Node& StrictMap::Value(const std::string& key) const { return entries_.at(key); }

const YAML::Node& StrictMap::Locate(const std::string& key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return node_;
  // yaml-cpp places an empty value at the start of the next line; point at its key instead.
  return it->second.IsNull() ? keys_.at(key) : it->second;
}

void StrictMap::Fail(const std::string& key, const std::string& message) const {
  FailAt(file_, Locate(key), message);
}

void StrictMap::FailNotStated(const std::string& key, const std::string& message) const {
  const YAML::Node& at = Locate(key);
  const YAML::Mark m = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
  throw NotStatedError(file_, Line(m), Col(m), message, prefix_ + key);
}

void StrictMap::RequirePresent(const std::string& key) const {
  if (!Has(key)) FailNotStated(key, "missing required key '" + prefix_ + key + "'");
  if (Value(key).IsNull()) FailNotStated(key, prefix_ + key + " has no value");
}

template <class T>
T StrictMap::Required(const std::string& key, Converter<T> convert) const {
  RequirePresent(key);
  return convert(file_, Value(key), prefix_ + key);
}

template <class T>
std::optional<T> StrictMap::Optional(const std::string& key, Converter<T> convert) const {
  if (!Has(key)) return std::nullopt;
  return Required(key, convert);
}

int64_t StrictMap::Int(const std::string& key) const { return Required<int64_t>(key, ToInt); }

std::optional<int64_t> StrictMap::OptInt(const std::string& key) const {
  return Optional<int64_t>(key, ToInt);
}

double StrictMap::Double(const std::string& key) const { return Required<double>(key, ToDouble); }

std::optional<double> StrictMap::OptDouble(const std::string& key) const {
  return Optional<double>(key, ToDouble);
}

bool StrictMap::Bool(const std::string& key, std::optional<bool> fallback) const {
  if (!Has(key) && fallback) return *fallback;
  return Required<bool>(key, ToBool);
}

std::string StrictMap::String(const std::string& key) const {
  return Required<std::string>(key, ToString);
}

std::optional<std::string> StrictMap::OptString(const std::string& key) const {
  return Optional<std::string>(key, ToString);
}

StrictMap StrictMap::Map(const std::string& key, const std::vector<std::string>& allowed) const {
  RequirePresent(key);
  return StrictMap(file_, Value(key), allowed, "'" + prefix_ + key + "'", prefix_ + key + ".",
                   unread_);
}

void StrictMap::FailEnum(const std::string& key, const std::string& got,
                         const std::vector<std::string>& names) const {
  Fail(key, prefix_ + key + " must be one of " + JoinChoices(names) + ", got '" + got + "'" +
                DidYouMean(got, names));
}

}  // namespace planner
