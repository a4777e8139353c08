// The flags `planner calibrate` and `planner validate --bench` share for reading commbench runs.
#include "planner/cli/bench_flags.h"

#include "planner/cli/command.h"
#include "planner/io/input_error.h"

namespace planner {

int64_t BytesFlag(const po::variables_map& vm, const std::string& flag) {
  const std::string text = vm[flag].as<std::string>();
  int64_t scale = 1;
  std::string digits = text;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K':
      case 'k':
        scale = int64_t{1} << 10;
        break;
      case 'M':
      case 'm':
        scale = int64_t{1} << 20;
        break;
      case 'G':
      case 'g':
        scale = int64_t{1} << 30;
        break;
      default:
        scale = 1;
    }
    if (scale > 1) digits.pop_back();
  }
  const bool all_digits = !digits.empty() && digits.size() <= 12 &&
                          digits.find_first_not_of("0123456789") == std::string::npos;
  if (!all_digits) {
    throw InputError("--" + flag,
                     "must be a byte count such as 4194304 or 4M (K, M, G are "
                     "1024-based, as commbench's -b), got '" +
                         text + "'");
  }
  return std::stoll(digits) * scale;
}

Placement PlacementFlag(const po::variables_map& vm) {
  return EnumFlag<Placement>(
      vm, "placement",
      {{"out", Placement::kOutOfPlace}, {"in", Placement::kInPlace}, {"both", Placement::kBoth}});
}

}  // namespace planner
