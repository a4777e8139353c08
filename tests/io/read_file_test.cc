// ReadInputFile's bounds (size cap, NUL, UTF-8, YAML items) and the atomic output writer.
#include "planner/io/read_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "planner/io/atomic_file.h"
#include "planner/io/input_error.h"
#include "planner/io/utf8.h"

namespace planner {
namespace {

namespace fs = std::filesystem;

std::string ReadFileTestDir() {
  const fs::path dir =
      fs::path(::testing::TempDir()) / ("read_file_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir.string();
}

std::string ReadErrorOf(const std::string& path, const std::string& kind = "YAML") {
  try {
    ReadInputFile(path, kind);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

void WriteTestBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(ReadInputFileTest, RefusesAFileOverTheCapWithoutReadingIt) {
  // 100 MiB, sparse: refused on its size alone, so in far less than the second a read would take.
  const std::string path = ReadFileTestDir() + "/big.yaml";
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, off_t{100} << 20), 0);
  ::close(fd);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadErrorOf(path), path +
                                   ": file is 100 MiB, too large for a YAML input (the limit is "
                                   "8 MiB; planner inputs are small, and PLANNER_MAX_INPUT_MB "
                                   "raises the limit)");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.5);
}

TEST(ReadInputFileTest, TheCapIsSetByTheEnvironment) {
  const std::string path = ReadFileTestDir() + "/two_kib.yaml";
  WriteTestBytes(path, std::string(2048, '#'));
  ::setenv("PLANNER_MAX_INPUT_MB", "0.001", 1);  // 1,048 bytes
  EXPECT_EQ(MaxInputBytes(), 1048);
  EXPECT_NE(ReadErrorOf(path).find("file is 0.00195 MiB, too large"), std::string::npos);
  ::setenv("PLANNER_MAX_INPUT_MB", "lots", 1);
  EXPECT_EQ(ReadErrorOf(path),
            "PLANNER_MAX_INPUT_MB: must be a number of MiB between 0 and 1e6, got 'lots'");
  ::unsetenv("PLANNER_MAX_INPUT_MB");
  EXPECT_EQ(ReadInputFile(path, "YAML").size(), 2048u);
}

TEST(ReadInputFileTest, StopsAtTheFirstNulOfADevice) {
  const std::string text = ReadInputFile("/dev/zero", "YAML");
  EXPECT_EQ(text, std::string(1, '\0'));  // the caller reports binary data at byte 0
}

TEST(ReadInputFileTest, StopsAtTheCapOfAnEndlessStreamWithoutNul) {
  // `yes` never ends and has no NUL: only the cap stops the read (1 MiB here, to keep it short).
  ::setenv("PLANNER_MAX_INPUT_MB", "1", 1);
  const std::string fifo = ReadFileTestDir() + "/endless";
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const pid_t writer = ::fork();
  if (writer == 0) {
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    const std::string line(4096, 'y');
    while (::write(fd, line.data(), line.size()) > 0) {
    }
    ::_exit(0);
  }
  const std::string error = ReadErrorOf(fifo);
  ::unsetenv("PLANNER_MAX_INPUT_MB");
  ::kill(writer, SIGKILL);
  EXPECT_EQ(error, fifo +
                       ": more than 1 MiB read without an end, too much for a YAML input (the "
                       "limit is 1 MiB; planner inputs are small, and PLANNER_MAX_INPUT_MB "
                       "raises the limit)");
}

TEST(ReadInputFileTest, NonUtf8TextIsAnErrorAtItsLineAndColumn) {
  const std::string path = ReadFileTestDir() + "/latin1.yaml";
  WriteTestBytes(path, "n_layers: 2\nname: caf\xe9\n");
  EXPECT_EQ(ReadErrorOf(path),
            path + ":2:10: not UTF-8 text (byte 0xE9); save the YAML file as UTF-8");
}

TEST(ReadInputFileTest, ManyLinesOrCommasAreRefusedBeforeParsing) {
  const std::string path = ReadFileTestDir() + "/flow.yaml";
  std::string text = "x: [";
  for (size_t i = 0; i < kMaxInputItems; ++i) text += "1,";
  WriteTestBytes(path, text + "1]\n");
  EXPECT_EQ(ReadErrorOf(path), path +
                                   ": 100001 lines and commas, more than the 100000 a YAML input "
                                   "may have (planner inputs have far fewer)");
  EXPECT_NE(ReadErrorOf(path, "JSON").find("more than the 100000 a JSON input"), std::string::npos);
}

TEST(ReadInputFileTest, SaysWhyAPathCannotBeOpened) {
  const std::string dir = ReadFileTestDir();
  ::unlink((dir + "/loop_a").c_str());
  ::unlink((dir + "/loop_b").c_str());
  ASSERT_EQ(::symlink("loop_b", (dir + "/loop_a").c_str()), 0);
  ASSERT_EQ(::symlink("loop_a", (dir + "/loop_b").c_str()), 0);
  EXPECT_EQ(ReadErrorOf(dir + "/loop_a"),
            dir + "/loop_a: cannot read file: Too many levels of symbolic links");
  const std::string long_name = dir + "/" + std::string(300, 'x') + ".yaml";
  EXPECT_EQ(ReadErrorOf(long_name), long_name + ": cannot read file: File name too long");
  EXPECT_EQ(ReadErrorOf(dir), dir + ": is a directory; expected a YAML file");
}

TEST(Utf8Test, AcceptsWellFormedAndFindsTheFirstBadByte) {
  EXPECT_EQ(FirstInvalidUtf8("plain ascii"), std::string_view::npos);
  EXPECT_EQ(FirstInvalidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string_view::npos);
  EXPECT_EQ(FirstInvalidUtf8("caf\xe9"), 3u);           // latin-1
  EXPECT_EQ(FirstInvalidUtf8("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("ab\xed\xa0\x80"), 2u);    // UTF-16 surrogate
  EXPECT_EQ(FirstInvalidUtf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("x\xe2\x82"), 1u);         // cut short
  EXPECT_EQ(Utf8FlagProblem("--machine", "caf\xe9"),
            "--machine: not UTF-8 text (byte 3 of the value)");
}

TEST(AtomicFileTest, ReplacesWholeAndRefusesAnInput) {
  const std::string dir = ReadFileTestDir();
  const std::string out = dir + "/out.json";
  WriteTestBytes(out, "old");
  ::chmod(out.c_str(), 0640);
  EXPECT_FALSE(WriteFileAtomically(out, "{\"new\": 1}\n"));
  EXPECT_EQ(ReadInputFile(out, "JSON"), "{\"new\": 1}\n");
  struct stat st = {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);  // the replaced file's mode is kept
  const auto same = WriteFileAtomically(
      out, "x", {dir + "/../" + fs::path(dir).filename().string() + "/out.json"});
  ASSERT_TRUE(same);
  EXPECT_TRUE(same->bad_path);
  EXPECT_EQ(ReadInputFile(out, "JSON"), "{\"new\": 1}\n");
  const auto missing = WriteFileAtomically(dir + "/no/such/dir/out.json", "x");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->message,
            "cannot write " + dir + "/no/such/dir/out.json: No such file or directory");
  const auto full = WriteFileAtomically("/dev/full", "x");  // a device is written in place
  ASSERT_TRUE(full);
  EXPECT_FALSE(full->bad_path);
  EXPECT_EQ(full->message, "cannot write /dev/full: No space left on device");
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace planner
