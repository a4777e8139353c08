#include <gtest/gtest.h>

#include "comm/commbench_options.h"
#include "comm/matbench_options.h"

namespace comm {
namespace {

template <typename Parse>
auto Run(Parse parse, std::vector<const char*> args) {
  args.insert(args.begin(), "prog");
  return parse(static_cast<int>(args.size()), args.data());
}

auto Commbench(std::vector<const char*> args) { return Run(ParseCommbenchOptions, args); }
auto Matbench(std::vector<const char*> args) { return Run(ParseMatbenchOptions, args); }

using Kind = ParseOutcome<CommbenchOptions>::Kind;

TEST(CommbenchOptionsTest, NcclTestsShortFlags) {
  const auto p = Commbench({"-b", "8", "-e", "128M", "-f", "2",   "-n", "20", "-w", "5",
                            "-c", "1", "-d", "half", "-o", "max", "-z", "1",  "-r", "1"});
  ASSERT_EQ(p.kind, Kind::kRun) << p.message;
  const CommbenchOptions& o = p.options;
  EXPECT_EQ(o.sweep.min_bytes, 8u);
  EXPECT_EQ(o.sweep.max_bytes, 128u << 20);
  EXPECT_EQ(o.sweep.step_factor, 2u);
  EXPECT_EQ(o.iters, 20);
  EXPECT_EQ(o.warmup_iters, 5);
  EXPECT_EQ(o.check, 1);
  EXPECT_EQ(o.type, DType::kHalf);
  EXPECT_EQ(o.op, RedOp::kMax);
  EXPECT_EQ(o.blocking, 1);
  EXPECT_EQ(o.root, 1);
  EXPECT_EQ(o.collectives.size(), 7u);  // all by default
}

TEST(CommbenchOptionsTest, DefaultsAreNcclTests) {
  const auto p = Commbench({});
  ASSERT_EQ(p.kind, Kind::kRun);
  EXPECT_EQ(p.options.sweep.min_bytes, 32u << 20);
  EXPECT_EQ(p.options.sweep.max_bytes, 32u << 20);
  EXPECT_EQ(p.options.iters, 20);
  EXPECT_EQ(p.options.type, DType::kFloat);
  EXPECT_EQ(p.options.op, RedOp::kSum);
}

// On MPI (CPU ranks) the defaults shrink to 1K..4M by 4x (1K, 4K, 16K, 64K, 256K, 1M, 4M: seven
// sizes) and 5 iterations; NCCL keeps nccl-tests' 32M x 20.
TEST(CommbenchOptionsTest, MpiDefaultsAreSmallerOnlyWhereNotGiven) {
  auto p = Commbench({});
  ASSERT_EQ(p.kind, Kind::kRun);
  ApplyBackendDefaults(BackendChoice::kMpi, p.options);
  EXPECT_EQ(ExpandSizes(p.options.sweep),
            (std::vector<uint64_t>{1u << 10, 4u << 10, 16u << 10, 64u << 10, 256u << 10, 1u << 20,
                                   4u << 20}));
  EXPECT_EQ(p.options.iters, 5);

  p = Commbench({});
  ApplyBackendDefaults(BackendChoice::kNccl, p.options);
  EXPECT_EQ(p.options.sweep.min_bytes, 32u << 20);
  EXPECT_EQ(p.options.iters, 20);

  p = Commbench({"-e", "32M", "-n", "20"});  // an nccl-tests sweep on MPI: the flags win
  ApplyBackendDefaults(BackendChoice::kMpi, p.options);
  EXPECT_EQ(p.options.sweep.min_bytes, 32u << 20);
  EXPECT_EQ(p.options.sweep.max_bytes, 32u << 20);
  EXPECT_EQ(p.options.iters, 20);

  p = Commbench({"-n", "3"});  // iterations given, sizes not
  ApplyBackendDefaults(BackendChoice::kMpi, p.options);
  EXPECT_EQ(p.options.sweep.max_bytes, 4u << 20);
  EXPECT_EQ(p.options.iters, 3);
}

TEST(CommbenchOptionsTest, CollectivesByFlagOrPosition) {
  auto p = Commbench({"--collective", "broadcast,all_to_all"});
  ASSERT_EQ(p.kind, Kind::kRun);
  ASSERT_EQ(p.options.collectives.size(), 2u);
  EXPECT_EQ(p.options.collectives[1]->name(), "all_to_all");
  p = Commbench({"-b", "1K", "sendrecv", "reduce"});
  ASSERT_EQ(p.kind, Kind::kRun);
  ASSERT_EQ(p.options.collectives.size(), 2u);
  EXPECT_EQ(p.options.collectives[0]->name(), "sendrecv");
}

TEST(CommbenchOptionsTest, LongFormsAndJson) {
  const auto p = Commbench({"--minbytes=1K", "--maxbytes", "1M", "--stepfactor", "4", "--json",
                            "out.json", "--backend", "mpi", "--machine", "ci vm"});
  ASSERT_EQ(p.kind, Kind::kRun) << p.message;
  EXPECT_EQ(p.options.sweep.min_bytes, 1024u);
  EXPECT_EQ(p.options.json_path, "out.json");
  EXPECT_EQ(p.options.backend, BackendChoice::kMpi);
  EXPECT_EQ(p.options.machine_label, "ci vm");
}

TEST(CommbenchOptionsTest, ErrorsNameTheProblem) {
  const std::vector<std::pair<std::vector<const char*>, std::string>> cases = {
      {{"-b", "abc"}, "invalid size 'abc'"},
      {{"-e", "8", "-b", "16"}, "larger than"},
      {{"-n", "0"}, "at least 1"},
      {{"-n", "x"}, "invalid"},
      {{"-d", "fp8"}, "unknown datatype"},
      {{"-o", "xor"}, "unknown op"},
      {{"--backend", "gloo"}, "unknown backend"},
      {{"allreduce"}, "unknown collective 'allreduce'"},
      {{"-x"}, "unrecognised"},
      {{"-f", "0"}, "at least 1"},
      {{"-f", "1", "-i", "0", "-b", "8", "-e", "16"}, "cannot advance"},
      {{"-z", "2"}, "0 or 1"},
  };
  for (const auto& [args, message] : cases) {
    const auto p = Commbench(args);
    EXPECT_EQ(p.kind, Kind::kError) << message;
    EXPECT_NE(p.message.find(message), std::string::npos) << p.message;
  }
}

TEST(CommbenchOptionsTest, Help) {
  const auto p = Commbench({"-h"});
  EXPECT_EQ(p.kind, Kind::kHelp);
  EXPECT_NE(p.message.find("--minbytes"), std::string::npos);
}

TEST(MatbenchOptionsTest, ParsesModelShapeAndPeak) {
  const auto p = Matbench({"--tokens", "2048", "--d-model", "4096", "--d-ff", "16384", "-d",
                           "bfloat16", "--peak-tflops", "989", "--shapes", "128x256x512,64x64x64"});
  ASSERT_EQ(p.kind, ParseOutcome<MatbenchOptions>::Kind::kRun) << p.message;
  EXPECT_EQ(p.options.tokens, 2048);
  EXPECT_EQ(p.options.type, DType::kBfloat16);
  EXPECT_DOUBLE_EQ(p.options.peak_tflops, 989.0);
  ASSERT_EQ(p.options.sweep.size(), 2u);
  EXPECT_EQ(p.options.sweep[0], (GemmShape{128, 256, 512}));
}

TEST(MatbenchOptionsTest, Errors) {
  for (const auto& args :
       std::vector<std::vector<const char*>>{{"--tokens", "0"},
                                             {"-d", "int32"},
                                             {"--shapes", "12x12"},
                                             {"--engine", "mkl"},
                                             {"--peak-tflops", "-1"},
                                             {"--sweep-min", "512", "--sweep-max", "64"}}) {
    EXPECT_EQ(Matbench(args).kind, ParseOutcome<MatbenchOptions>::Kind::kError) << args[0];
  }
}

TEST(GemmShapesTest, ParseAndFlops) {
  EXPECT_EQ(ParseShapes("1x2x3"), (std::vector<GemmShape>{{1, 2, 3}}));
  EXPECT_FALSE(ParseShapes("").has_value());
  EXPECT_FALSE(ParseShapes("1x2").has_value());
  EXPECT_FALSE(ParseShapes("1x2x0").has_value());
  EXPECT_FALSE(ParseShapes("1x2x3,").has_value());
  EXPECT_DOUBLE_EQ(GemmFlops({2, 3, 4}), 48.0);
  const auto sweep = DefaultSweep(64, 256, 1024, 512, 2048);
  EXPECT_EQ(
      sweep,
      (std::vector<GemmShape>{
          {64, 64, 64}, {128, 128, 128}, {256, 256, 256}, {1024, 2048, 512}, {1024, 512, 2048}}));
}

}  // namespace
}  // namespace comm
