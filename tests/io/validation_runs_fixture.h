// The project's published runs (tests/data/runs.yaml), read once, and one record of it read on
// its own after an edit: shared by validation_runs_test.cc and runs_reader_rules_test.cc.
#ifndef PLANNER_TESTS_IO_VALIDATION_RUNS_FIXTURE_H_
#define PLANNER_TESTS_IO_VALIDATION_RUNS_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "planner/io/runs_io.h"

namespace planner::runs_fixture {

inline const std::string kRuns = std::string(PLANNER_TEST_DATA_DIR) + "/runs.yaml";

inline const std::vector<ValidationRun>& Runs() {
  static const std::vector<ValidationRun> runs = ReadValidationRuns(kRuns);
  return runs;
}

inline const ValidationRun& Find(const std::string& id) {
  for (const ValidationRun& v : Runs()) {
    if (v.run.id == id) return v;
  }
  ADD_FAILURE() << "no run " << id;
  return Runs().front();
}

// One record of the file, with each edit's `from` replaced by its `to` in its text, read on its
// own.
inline ValidationRun ReadEdited(const std::string& id,
                                const std::vector<std::pair<std::string, std::string>>& edits) {
  std::ifstream in(kRuns);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t begin = text.find("- id: " + id + "\n");
  EXPECT_NE(begin, std::string::npos) << id;
  std::string record = text.substr(begin, text.find("\n- id:", begin) + 1 - begin);
  for (const auto& [from, to] : edits) {
    const size_t at = record.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) record.replace(at, from.size(), to);
  }
  // One file per test: ctest runs the tests of this binary in parallel processes.
  const std::string path = ::testing::TempDir() + "runs_one_" +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                           ".yaml";
  std::ofstream(path) << record;
  std::vector<ValidationRun> runs = ReadValidationRuns(path);
  std::remove(path.c_str());
  EXPECT_EQ(runs.size(), 1u);
  return runs.front();
}

inline ValidationRun ReadEdited(const std::string& id, const std::string& from,
                                const std::string& to) {
  return ReadEdited(id, {{from, to}});
}

}  // namespace planner::runs_fixture

#endif  // PLANNER_TESTS_IO_VALIDATION_RUNS_FIXTURE_H_
