// commbench/matbench refuse, before any benchmark runs, what would otherwise fail at the end:
// a --machine label that is not UTF-8 (the JSON writer), and flag prefixes Boost would guess.
#include <gtest/gtest.h>

#include "comm/commbench_options.h"
#include "comm/matbench_options.h"

namespace comm {
namespace {

template <typename Parse>
auto ParseWithProgramName(Parse parse, std::vector<const char*> args) {
  args.insert(args.begin(), "prog");
  return parse(static_cast<int>(args.size()), args.data());
}

TEST(RobustOptionsTest, MachineLabelMustBeUtf8) {
  const auto c = ParseWithProgramName(ParseCommbenchOptions, {"--machine", "caf\xe9"});
  EXPECT_EQ(c.kind, ParseOutcome<CommbenchOptions>::Kind::kError);
  EXPECT_EQ(c.message, "--machine: not UTF-8 text (byte 3 of the value)");
  const auto m = ParseWithProgramName(ParseMatbenchOptions, {"--machine", "caf\xe9"});
  EXPECT_EQ(m.kind, ParseOutcome<MatbenchOptions>::Kind::kError);
  EXPECT_EQ(m.message, "--machine: not UTF-8 text (byte 3 of the value)");
  const auto ok = ParseWithProgramName(ParseCommbenchOptions, {"--machine", "caf\xc3\xa9"});
  EXPECT_EQ(ok.kind, ParseOutcome<CommbenchOptions>::Kind::kRun) << ok.message;
}

TEST(RobustOptionsTest, NoFlagPrefixGuessing) {
  // --iter is a prefix of --iters only; Boost's default style would take it as --iters.
  const auto c = ParseWithProgramName(ParseCommbenchOptions, {"--iter", "5"});
  EXPECT_EQ(c.kind, ParseOutcome<CommbenchOptions>::Kind::kError);
  const auto m = ParseWithProgramName(ParseMatbenchOptions, {"--iter", "5"});
  EXPECT_EQ(m.kind, ParseOutcome<MatbenchOptions>::Kind::kError);
}

}  // namespace
}  // namespace comm
