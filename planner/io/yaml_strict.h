// Strict YAML reading on top of yaml-cpp: every key must be known (else "did you mean"), appear
// once, and have the right type; every error names file:line:col. Numbers must be plain scalars:
// a quoted "48" is a string, not an integer.
#ifndef PLANNER_IO_YAML_STRICT_H_
#define PLANNER_IO_YAML_STRICT_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "planner/core/enum_names.h"

namespace planner {

struct YamlDoc {
  std::string file;  // as shown in error messages
  YAML::Node root;
};

// The text's one YAML document (undefined or null when empty); a second document is an
// InputError "a second YAML document ('---')" + `second_document_note`, a syntax error too.
YAML::Node ParseOneDocument(const std::string& file, const std::string& text,
                            const std::string& second_document_note);
// Parses YAML text; `file` labels errors. Rejects binary data, empty documents and syntax errors.
YamlDoc ParseYaml(const std::string& file, const std::string& text);
// Reads and parses a file; missing or unreadable files are InputErrors naming the path.
YamlDoc LoadYamlFile(const std::string& path);

// Throws InputError at the node's position.
[[noreturn]] void FailAt(const std::string& file, const YAML::Node& node, const std::string& msg);

// Scalar conversions with strict checks; `what` names the value in messages ("n_layers").
int64_t ToInt(const std::string& file, const YAML::Node& node, const std::string& what);
double ToDouble(const std::string& file, const YAML::Node& node, const std::string& what);
bool ToBool(const std::string& file, const YAML::Node& node, const std::string& what);
std::string ToString(const std::string& file, const YAML::Node& node, const std::string& what);

class StrictMap {
 public:
  // `context` names the mapping in messages ("model spec", "biases"); `prefix` is prepended to
  // key names in messages ("moe." for keys of the moe mapping).
  StrictMap(std::string file, const YAML::Node& node, const std::vector<std::string>& allowed,
            const std::string& context, std::string prefix = "");
  // An open mapping (a record of published facts, which may state more than a reader uses): an
  // unknown key is appended to *unread as "prefix.key (line L)" instead of failing, unless it
  // looks like a misspelt known key (a "did you mean" match, or a known key it is the start
  // of: micro_batch for micro_batch_size), which still fails. Maps taken from it are open too.
  StrictMap(std::string file, const YAML::Node& node, const std::vector<std::string>& allowed,
            const std::string& context, std::vector<std::string>* unread);

  bool Has(const std::string& key) const { return entries_.count(key) > 0; }
  const YAML::Node& Value(const std::string& key) const;  // requires Has(key)
  // The node to point at for an error about `key`: its value if present, else the mapping.
  const YAML::Node& Locate(const std::string& key) const;
  [[noreturn]] void Fail(const std::string& key, const std::string& message) const;
  // As Fail, as a NotStatedError naming the key: a value the file leaves out or null.
  [[noreturn]] void FailNotStated(const std::string& key, const std::string& message) const;

  int64_t Int(const std::string& key) const;
  std::optional<int64_t> OptInt(const std::string& key) const;
  double Double(const std::string& key) const;
  std::optional<double> OptDouble(const std::string& key) const;
  bool Bool(const std::string& key, std::optional<bool> fallback = std::nullopt) const;
  std::string String(const std::string& key) const;
  std::optional<std::string> OptString(const std::string& key) const;
  StrictMap Map(const std::string& key, const std::vector<std::string>& allowed) const;

  template <class E>
  E Enum(const std::string& key, const std::vector<std::pair<std::string, E>>& values) const;
  // The same with a core name table (enum_names.h): the names ToString prints.
  template <class E, std::size_t N>
  E Enum(const std::string& key, const EnumName<E> (&names)[N]) const {
    return Enum<E>(key, Choices(names));
  }

  const std::string& file() const { return file_; }
  const YAML::Node& node() const { return node_; }

 private:
  StrictMap(std::string file, const YAML::Node& node, const std::vector<std::string>& allowed,
            const std::string& context, std::string prefix, std::vector<std::string>* unread);
  // The known key an unknown one looks like a misspelling of: a "did you mean" match, or a known
  // key it is the start of (micro_batch: micro_batch_size); "" when none.
  static std::string NearKey(const std::string& name, const std::vector<std::string>& allowed);
  void RequirePresent(const std::string& key) const;
  // A present, non-null value read by `convert` (ToInt, ToDouble, ...), its errors naming the
  // key; and the same for a key the mapping may leave out (nullopt when it does).
  template <class T>
  using Converter = T (*)(const std::string& file, const YAML::Node& node, const std::string& what);
  template <class T>
  T Required(const std::string& key, Converter<T> convert) const;
  template <class T>
  std::optional<T> Optional(const std::string& key, Converter<T> convert) const;
  [[noreturn]] void FailEnum(const std::string& key, const std::string& got,
                             const std::vector<std::string>& names) const;

  std::string file_;
  YAML::Node node_;
  std::string prefix_;
  std::vector<std::string>* unread_ = nullptr;  // open mapping: where unknown keys go
  std::map<std::string, YAML::Node> entries_;
  std::map<std::string, YAML::Node> keys_;  // the key nodes, to point at when a value is empty
};

template <class E>
E StrictMap::Enum(const std::string& key, const std::vector<std::pair<std::string, E>>& values) const {
  const std::string got = String(key);
  if (const std::optional<E> v = FindChoice(values, got)) return *v;
  FailEnum(key, got, ChoiceNames(values));
}

}  // namespace planner

#endif  // PLANNER_IO_YAML_STRICT_H_
