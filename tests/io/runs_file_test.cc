// The RUNS.yaml reader of `planner compare` and its --run flags: defaults and overrides, paths
// relative to the file, the global-batch rule, and every error at file:line:col.
#include "planner/io/runs_file_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "planner/io/input_error.h"

namespace planner {
namespace {

// The option names `planner compare` gives the reader (cli/compare.cc), so that the errors read
// as users see them.
CompareDefaults CliNamed() {
  CompareDefaults d;
  d.cluster_option = "--cluster";
  d.gpus_option = "--gpus";
  d.run_option = "--run";
  return d;
}

namespace fs = std::filesystem;

// A folder with runs/compare.yaml and models/tiny.yaml, so "../models/tiny.yaml" in the runs
// file resolves against the runs file's folder, not the working directory.
class RunsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("runs_file_test_" + std::string(::testing::UnitTest::GetInstance()
                                                ->current_test_info()->name()));
    fs::create_directories(dir_ / "runs");
    fs::create_directories(dir_ / "models");
    Write(dir_ / "models" / "tiny.yaml",
          "name: tiny\nn_layers: 2\nd_model: 64\nn_heads: 4\nd_ff: 256\nvocab_size: 100\n"
          "seq_len: 32\nposition: rope\nmlp: swiglu\nnorm: rmsnorm\ntied_embeddings: false\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

  std::string RunsFile(const std::string& text) {
    const fs::path p = dir_ / "runs" / "compare.yaml";
    Write(p, text);
    return p.string();
  }

  // The error message after "<path>:", i.e. "line:col: message".
  std::string ErrorOf(const std::string& text, const CompareDefaults& flags = CliNamed()) {
    const std::string path = RunsFile(text);
    try {
      ReadCompareFile(path, flags);
    } catch (const InputError& e) {
      const std::string what = e.what();
      return what.starts_with(path + ":") ? what.substr(path.size() + 1) : what;
    }
    return "";
  }

  fs::path dir_;
};

constexpr const char* kGood =
    "cluster: dgx-h100\n"
    "gpus: 64\n"
    "global_batch_tokens: 4M\n"
    "runs:\n"
    "  - {name: chinchilla, model: chinchilla-70b, tokens: 1.4T}\n"
    "  - {name: llama2, model: llama2-70b, tokens: 2e12, cluster: dgx-a100-80gb, gpus: 128,\n"
    "     global_batch: 1000}\n"
    "  - {name: tiny, model: ../models/tiny.yaml, tokens: 300e9}\n";

TEST_F(RunsFileTest, DefaultsOverridesAndRelativePaths) {
  const std::vector<CompareRun> runs = ReadCompareFile(RunsFile(kGood), {});
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].name, "chinchilla");
  EXPECT_EQ(runs[0].model.name, "chinchilla-70b");
  EXPECT_DOUBLE_EQ(runs[0].tokens, 1.4e12);
  EXPECT_EQ(runs[0].cluster.name, "dgx-h100");
  EXPECT_EQ(runs[0].cluster.total_gpus(), 64);  // 8 nodes of 8
  // 4M tokens / 2,048 = 1,953.125 sequences -> the nearest power of two, 2,048.
  EXPECT_EQ(runs[0].global_batch, 2048);
  EXPECT_EQ(runs[0].batch_source, BatchSource::kTokens);
  EXPECT_DOUBLE_EQ(runs[0].batch_tokens_requested, 4e6);
  // The run's own cluster, GPUs and global batch (sequences, used as given).
  EXPECT_EQ(runs[1].cluster.name, "dgx-a100-80gb");
  EXPECT_EQ(runs[1].cluster.total_gpus(), 128);
  EXPECT_EQ(runs[1].global_batch, 1000);
  EXPECT_EQ(runs[1].batch_source, BatchSource::kRun);
  // ../models/tiny.yaml from runs/: models/tiny.yaml. 4e6 / 32 = 125,000 (log2 16.93) -> 2^17.
  EXPECT_EQ(runs[2].model.name, "tiny");
  EXPECT_EQ(runs[2].global_batch, 131072);
  EXPECT_EQ(fs::path(runs[2].model_arg), (dir_ / "models" / "tiny.yaml").lexically_normal());
  EXPECT_EQ(runs[0].price_source,
            "list-price default from the dgx-h100 preset (Lambda on-demand H100 SXM 80GB)");
}

TEST_F(RunsFileTest, FlagsOverrideTheTopLevelButNotARunsOwnKeys) {
  CompareDefaults flags = CliNamed();
  flags.gpus = 256;
  flags.global_batch_tokens = 1e6;
  const std::vector<CompareRun> runs = ReadCompareFile(RunsFile(kGood), flags);
  EXPECT_EQ(runs[0].cluster.total_gpus(), 256);
  EXPECT_EQ(runs[1].cluster.total_gpus(), 128);
  // 1e6 / 2,048 = 488.3 (log2 8.93) -> 512.
  EXPECT_EQ(runs[0].global_batch, 512);
}

TEST_F(RunsFileTest, WithoutABatchTheDefaultIs4MTokens) {
  const std::vector<CompareRun> runs =
      ReadCompareFile(RunsFile("cluster: dgx-h100\ngpus: 8\nruns:\n"
                               "  - {name: a, model: llama3-70b, tokens: 15T}\n"),
                      {});
  // Llama 3's 8,192-token sequences: 4e6 / 8,192 = 488.3 -> 512.
  EXPECT_EQ(runs[0].batch_source, BatchSource::kDefaultTokens);
  EXPECT_DOUBLE_EQ(runs[0].batch_tokens_requested, 4e6);
  EXPECT_EQ(runs[0].global_batch, 512);
}

TEST_F(RunsFileTest, ErrorsPointAtTheValue) {
  // Line 4 is the run; in "  - {name: a, model: chinchilla-70b, tokens: 1T, gpus: 12}" the
  // model value starts at column 22, "tokens" at 38 and its value at 46, the gpus value at 56.
  const std::string head = "cluster: dgx-h100\ngpus: 64\nruns:\n";
  EXPECT_EQ(ErrorOf(head + "  - {name: a, model: chinchilla-70b, token: 1.4T}\n"),
            "4:38: unknown key 'token' in runs[0] (did you mean 'tokens'?)");
  EXPECT_EQ(ErrorOf(head + "  - {name: a, model: chinchila-70b, tokens: 1.4T}\n"),
            "4:22: no model preset or file named 'chinchila-70b' (did you mean "
            "'chinchilla-70b'?); `planner presets` lists them");
  EXPECT_EQ(ErrorOf(head + "  - {name: a, model: chinchilla-70b, tokens: 1.4X}\n"),
            "4:46: tokens must be a positive number such as 300e9 or 1.4T, got '1.4X'");
  EXPECT_EQ(ErrorOf(head + "  - {name: a, model: chinchilla-70b, tokens: 10}\n"),
            "4:46: tokens = 1.00e+01 is outside any training run (limits 1e+03 to 1e+17 "
            "tokens)");
  EXPECT_EQ(ErrorOf(head + "  - {name: a, model: chinchilla-70b, tokens: 1T, gpus: 12}\n"),
            "4:56: gpus = 12 is not a whole number of 8-GPU nodes of dgx-h100");
  EXPECT_EQ(ErrorOf(head + "  - {name: a, model: ../models/nope.yaml, tokens: 1T}\n"),
            "4:22: model file '" + (dir_ / "models" / "nope.yaml").lexically_normal().string() +
                "' does not exist (paths are relative to the runs file's folder)");
}

TEST_F(RunsFileTest, MissingAndDuplicate) {
  EXPECT_EQ(ErrorOf("gpus: 64\nruns:\n  - {name: a, model: chinchilla-70b, tokens: 1T}\n"),
            "3:5: runs[0] (a) has no cluster: set cluster in the run or at the top, or pass "
            "--cluster");
  EXPECT_EQ(ErrorOf("cluster: dgx-h100\nruns:\n  - {name: a, model: chinchilla-70b, tokens: 1T}\n"),
            "3:5: runs[0] (a) has no GPU count: set gpus in the run or at the top, or pass --gpus");
  EXPECT_EQ(ErrorOf("cluster: dgx-h100\ngpus: 8\nruns:\n"
                    "  - {name: a, model: chinchilla-70b, tokens: 1T}\n"
                    "  - {name: a, model: llama2-70b, tokens: 2T}\n"),
            "5:12: duplicate run name 'a'");
  EXPECT_EQ(ErrorOf("cluster: dgx-h100\ngpus: 8\nruns: []\n"),
            "3:7: runs must be a non-empty list of {name, model, tokens} mappings");
  EXPECT_EQ(ErrorOf("cluster: dgx-h100\ngpus: 8\n"), "1:1: missing required key 'runs' (a list of runs)");
  EXPECT_EQ(ErrorOf("cluster: dgx-h10\ngpus: 8\nruns:\n"
                    "  - {name: a, model: chinchilla-70b, tokens: 1T}\n"),
            "1:10: no cluster preset or file named 'dgx-h10' (did you mean 'dgx-h100'?); "
            "`planner presets` lists them");
  EXPECT_EQ(ErrorOf("cluster: dgx-h100\ngpus: 8\nglobal_batch_tokens: 1e11\nruns:\n"
                    "  - {name: a, model: chinchilla-70b, tokens: 1T}\n"),
            "3:22: global_batch_tokens = 1.00e+11 is implausibly large (limit 1e+10)");
}

TEST_F(RunsFileTest, RunFlags) {
  CompareDefaults flags = CliNamed();
  flags.cluster = "dgx-h100";
  flags.gpus = 1024;
  const CompareRun a = ParseRunFlag("gopher:gopher-280b:300e9", flags);
  EXPECT_EQ(a.name, "gopher");
  EXPECT_DOUBLE_EQ(a.tokens, 300e9);
  EXPECT_EQ(a.cluster.total_gpus(), 1024);
  const CompareRun b = ParseRunFlag("l2:llama2-70b:2T:dgx-a100-80gb:512", flags);
  EXPECT_EQ(b.cluster.name, "dgx-a100-80gb");
  EXPECT_EQ(b.cluster.total_gpus(), 512);
  EXPECT_EQ(b.global_batch, 1024);  // 4e6 / 4,096 = 976.6 -> 1,024
}

std::string FlagError(const std::string& text, const CompareDefaults& flags = CliNamed()) {
  try {
    ParseRunFlag(text, flags);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(RunFlagTest, Errors) {
  EXPECT_EQ(FlagError("a:chinchilla-70b"),
            "--run: expected NAME:MODEL:TOKENS[:CLUSTER[:GPUS[:DTYPE]]], got 'a:chinchilla-70b'");
  EXPECT_EQ(FlagError("a::1T"), "--run: empty field 2 in 'a::1T'");
  EXPECT_EQ(FlagError("a:chinchilla-70b:lots"),
            "--run: TOKENS must be a positive number such as 300e9 or 1.4T, got 'lots'");
  EXPECT_EQ(FlagError("a:chinchilla-70b:1T"),
            "--run: run 'a' has no cluster: add :CLUSTER to --run or pass --cluster");
  EXPECT_EQ(FlagError("a:chinchilla-70b:1T:dgx-h100"),
            "--run: run 'a' has no GPU count: add :GPUS to --run or pass --gpus");
  EXPECT_EQ(FlagError("a:chinchilla-70b:1T:dgx-h100:8x"),
            "--run: GPUS must be a positive integer, got '8x'");
  EXPECT_EQ(FlagError("a:chinchilla-70b:1T:dgx-h100:0"),
            "--run: gpus must be a positive integer, got 0");
  // The sixth field, a dtype: a name from the training dtypes, with a peak on the run's GPU (the
  // dgx-h100 preset has none in fp4).
  EXPECT_EQ(FlagError("a:chinchilla-70b:1T:dgx-h100:8:int8"),
            "--run: dtype must be one of 'bf16', 'fp16', 'fp8' or 'fp4', got 'int8'");
  EXPECT_EQ(FlagError("a:chinchilla-70b:1T:dgx-h100:8:fp4"),
            "--run: fp4 is not supported by H100-SXM5-80GB (dgx-h100: no fp4 peak_tflops in its "
            "cluster file)");
  CompareDefaults flags = CliNamed();
  flags.gpus = 12;
  EXPECT_EQ(FlagError("a:chinchilla-70b:1T:dgx-h100", flags),
            "--gpus: gpus = 12 is not a whole number of 8-GPU nodes of dgx-h100");
}

// A run's dtype is its own, else the caller's default, else the GPU's 16-bit one.
TEST(RunFlagTest, DtypeIsTheRunsThenTheDefaultThenSixteenBit) {
  CompareDefaults flags = CliNamed();
  EXPECT_EQ(ParseRunFlag("a:chinchilla-70b:1T:dgx-h100:8", flags).dtype, Dtype::kBf16);
  EXPECT_EQ(ParseRunFlag("a:chinchilla-70b:1T:v100:8", flags).dtype, Dtype::kFp16);
  flags.dtype = "fp8";
  EXPECT_EQ(ParseRunFlag("a:chinchilla-70b:1T:dgx-h100:8", flags).dtype, Dtype::kFp8);
  EXPECT_EQ(ParseRunFlag("a:chinchilla-70b:1T:gb300-nvl72:8:fp4", flags).dtype, Dtype::kFp4);
}

TEST(PriceSourceTest, NamesTheProviderOfAPresetAndTheFileOtherwise) {
  EXPECT_EQ(PriceSource("l40s"),
            "list-price default from the l40s preset (CoreWeave on-demand 8x L40S node)");
  EXPECT_EQ(PriceSource("mi300x"),
            "list-price default from the mi300x preset (Vultr on-demand MI300X)");
  EXPECT_EQ(PriceSource("frontier-mi250x"),
            "list-price default from the frontier-mi250x preset (assumed, half of the mi300x "
            "preset's per-GPU price for one GCD)");
  EXPECT_EQ(PriceSource("h20"),
            "list-price default from the h20 preset (assumed, half of the h800 preset's per-GPU "
            "price)");
  EXPECT_EQ(PriceSource("rtx4090"),
            "list-price default from the rtx4090 preset (assumed, about what community GPU clouds "
            "list per RTX 4090)");
  EXPECT_EQ(PriceSource("my/cluster.yaml"), "price_per_gpu_hour_usd in my/cluster.yaml");
}

TEST(SuffixedNumberTest, AcceptsWhatPapersWrite) {
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("300e9"), 3e11);
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("1.4T"), 1.4e12);
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("4M"), 4e6);
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("70b"), 7e10);
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("2048"), 2048);
  // The flags' old grammar took G for 1e9 and the files' took lower case: both, everywhere now.
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("1.4t"), 1.4e12);
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("2G"), 2e9);
  EXPECT_DOUBLE_EQ(*ParseSuffixedNumber("5k"), 5e3);
  for (const char* bad : {"", "T", "nan", "inf", "-5", "0", "+5", "0x10", "5e", "1.4TB", "1,000",
                          " 5", "5 ", "1e309"}) {
    EXPECT_FALSE(ParseSuffixedNumber(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace planner
