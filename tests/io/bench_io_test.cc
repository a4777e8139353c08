// commbench/matbench JSON readers (schema, versions, every bad field at file:line:col), the
// mapping of a run's level onto a cluster's network, samples, and a calibrated cluster's
// round trip through YAML into CollectiveSeconds.
#include "planner/io/bench_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "planner/core/collectives.h"
#include "planner/io/cluster_io.h"
#include "planner/io/input_error.h"

namespace planner {
namespace {

using nlohmann::json;

json Timing(double time_us) {
  return {{"time_us", time_us}, {"algbw_GBps", 1.0}, {"busbw_GBps", 1.5}, {"wrong", 0}};
}

json Row(const std::string& collective, int64_t size, double factor, double out_us, double in_us) {
  return {{"collective", collective}, {"size_bytes", size},
          {"count", size / 4},        {"type", "float"},
          {"redop", "sum"},           {"root", -1},
          {"bus_factor", factor},     {"out_of_place", Timing(out_us)},
          {"in_place", Timing(in_us)}};
}

// A small valid commbench document: 4 ranks, all_reduce (factor 1.5) at three sizes and one
// sendrecv row.
json Commbench() {
  return {{"schema", "commbench"},
          {"schema_version", 1},
          {"start_time", "2026-11-26 01:48:00"},
          {"end_time", "2026-11-26 01:48:54"},
          {"backend", "mpi"},
          {"nranks", 4},
          {"nodes", 1},
          {"ranks_per_node", 4},
          {"level", "intra-node"},
          {"machine",
           {{"label", "test VM"},
            {"hostname", "vm"},
            {"cpu_model", "x"},
            {"cpu_cores", 2},
            {"gpu_model", nullptr}}},
          {"config", {{"iters", 10}}},
          {"rows", json::array({Row("all_reduce", 1 << 20, 1.5, 100, 110),
                                Row("all_reduce", 2 << 20, 1.5, 190, 200),
                                Row("all_reduce", 4 << 20, 1.5, 370, 400),
                                Row("sendrecv", 1 << 20, 1.0, 50, 55)})},
          {"summary", json::array()},
          {"wrong_total", 0}};
}

json Matbench() {
  return {
      {"schema", "matbench"},
      {"schema_version", 1},
      {"start_time", "2026-11-26 01:54:39"},
      {"engine", "openblas"},
      {"comm_backend", "mpi"},
      {"nranks", 2},
      {"nodes", 1},
      {"machine", {{"label", ""}, {"hostname", "vm"}}},
      {"dtype", "float"},
      {"peak_tflops", 0.078},
      {"sharded_mlp", nullptr},
      {"gemm_sweep",
       json::array({{{"m", 64}, {"n", 64}, {"k", 64}, {"flops", 524288.0}, {"time_us", 20.0}},
                    {{"m", 256}, {"n", 256}, {"k", 256}, {"flops", 3.4e7}, {"time_us", 500.0}},
                    {{"m", 512}, {"n", 512}, {"k", 512}, {"flops", 2.7e8}, {"time_us", 3600.0}}})}};
}

// The message of the InputError that parsing `text` throws ("" if none), file name included.
template <class Parse>
std::string ErrorOf(Parse parse, const std::string& text) {
  try {
    parse("run.json", text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string CommError(const json& doc) { return ErrorOf(ParseCommbench, doc.dump(2)); }
std::string MatError(const json& doc) { return ErrorOf(ParseMatbench, doc.dump(2)); }

// "run.json:L:C:" for the first occurrence of `needle` in the pretty-printed document.
// `shift` moves past a key to its value.
std::string PositionOf(const json& doc, const std::string& needle, size_t nth = 0,
                       size_t shift = 0) {
  const std::string text = doc.dump(2);
  size_t at = text.find(needle);
  for (size_t i = 0; i < nth; ++i) at = text.find(needle, at + 1);
  at += shift;
  const std::string before = text.substr(0, at);
  const size_t line = 1 + std::count(before.begin(), before.end(), '\n');
  const size_t col = at - (before.rfind('\n') + 1) + 1;
  return "run.json:" + std::to_string(line) + ":" + std::to_string(col) + ":";
}

TEST(BenchIo, ReadsCommbench) {
  const CommbenchRun r = ParseCommbench("run.json", Commbench().dump());
  EXPECT_EQ(r.backend, "mpi");
  EXPECT_EQ(r.nranks, 4);
  EXPECT_EQ(r.level, "intra-node");
  EXPECT_EQ(r.machine, "test VM");
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.rows[1].collective, Collective::kAllReduce);
  EXPECT_EQ(r.rows[1].size_bytes, 2 << 20);
  EXPECT_DOUBLE_EQ(r.rows[1].out_of_place.time_us, 190);
  EXPECT_DOUBLE_EQ(r.rows[1].in_place.time_us, 200);
  EXPECT_EQ(r.rows[1].in_place.wrong, 0);
}

TEST(BenchIo, AcceptsUnknownFieldsAndNullWrong) {
  json doc = Commbench();
  doc["added_in_a_later_release"] = {1, 2};
  doc["rows"][0]["out_of_place"]["wrong"] = nullptr;
  const CommbenchRun r = ParseCommbench("run.json", doc.dump());
  EXPECT_FALSE(r.rows[0].out_of_place.wrong.has_value());
}

TEST(BenchIo, ReadsTheCommittedCpuRun) {
  const CommbenchRun r = ReadCommbench(std::string(PLANNER_SOURCE_DIR) +
                                       "/bench/results/cpu-mpi/commbench_np4_4M-24M.json");
  EXPECT_EQ(r.nranks, 4);
  EXPECT_EQ(r.rows.size(), 77u);  // 7 collectives x 11 sizes
}

TEST(BenchIo, NotJsonIsAnErrorAtItsPosition) {
  EXPECT_EQ(ErrorOf(ParseCommbench, "name: gpt2\n").substr(0, 34),
            "run.json:1:2: not valid JSON: synt");  // 'n' could begin null
  EXPECT_EQ(ErrorOf(ParseCommbench, "{\n  \"schema\": \"commbench\",\n  oops\n}").substr(0, 29),
            "run.json:3:3: not valid JSON:");
  EXPECT_EQ(ErrorOf(ParseCommbench, "").substr(0, 29), "run.json:1:1: not valid JSON:");
  EXPECT_EQ(ErrorOf(ParseCommbench, std::string("{\0}", 3)),
            "run.json: not a JSON text file (binary data at byte 1)");
  EXPECT_EQ(ErrorOf(ParseCommbench, "[1, 2]"),
            "run.json:1:1: must be a JSON object (commbench --json output), got array");
}

TEST(BenchIo, SchemaAndVersion) {
  json doc = Commbench();
  doc["schema"] = "matbench";
  EXPECT_EQ(CommError(doc), PositionOf(doc, "\"matbench\"") +
                                " schema: is 'matbench', expected 'commbench' (a matbench "
                                "file: give it as the matbench input)");
  doc["schema"] = "nccl-tests";
  EXPECT_EQ(CommError(doc),
            PositionOf(doc, "\"nccl-tests\"") + " schema: is 'nccl-tests', expected 'commbench'");
  doc = Commbench();
  doc.erase("schema");
  EXPECT_EQ(CommError(doc), "run.json:1:1: missing field 'schema'");
  doc = Commbench();
  doc["schema_version"] = 2;
  EXPECT_EQ(CommError(doc), PositionOf(doc, "2,\n  \"start_time\"") +
                                " schema_version: 2 is not supported: this planner reads "
                                "commbench schema_version 1 (the file is from a newer commbench)");
  doc["schema_version"] = "1";
  EXPECT_EQ(CommError(doc),
            PositionOf(doc, "\"1\"") +
                " schema_version: must be a non-negative integer, got string \"1\"");
  // Compact JSON: one line, the column of the value.
  const std::string compact = Commbench().dump();
  const size_t col = compact.find("\"schema\":\"commbench\"") + 10;
  EXPECT_EQ(ErrorOf(ParseMatbench, compact),
            "run.json:1:" + std::to_string(col) +
                ": schema: is 'commbench', expected 'matbench' "
                "(a commbench file: give it as the commbench input)");
}

TEST(BenchIo, RowErrorsNameTheFieldAndPointAtIt) {
  json doc = Commbench();
  doc["rows"][2]["out_of_place"].erase("time_us");
  // A missing field points at its object: rows[2]'s out_of_place value.
  EXPECT_EQ(CommError(doc), PositionOf(doc, "{\n        \"algbw_GBps\"", 5) +
                                " rows[2].out_of_place: missing field 'time_us'");
  doc = Commbench();
  doc["rows"][1]["size_bytes"] = -8;
  EXPECT_EQ(CommError(doc),
            PositionOf(doc, "-8") + " rows[1].size_bytes: must be a non-negative integer, got -8");
  doc = Commbench();
  doc["rows"][0]["in_place"]["time_us"] = "slow";
  EXPECT_EQ(CommError(doc), PositionOf(doc, "\"slow\"") +
                                " rows[0].in_place.time_us: must be a non-negative number, got "
                                "string \"slow\"");
  doc = Commbench();
  doc["rows"][3]["out_of_place"]["time_us"] = -1.5;
  EXPECT_EQ(CommError(doc), PositionOf(doc, "-1.5") +
                                " rows[3].out_of_place.time_us: must be a non-negative number, "
                                "got -1.5");
  doc = Commbench();
  doc["rows"][0]["collective"] = "allreduce";
  EXPECT_NE(CommError(doc).find("rows[0].collective: must be 'all_reduce', "), std::string::npos);
  EXPECT_NE(CommError(doc).find("got 'allreduce' (did you mean 'all_reduce'?)"), std::string::npos);
  doc = Commbench();
  doc["rows"][0]["bus_factor"] = 2.0;
  EXPECT_EQ(CommError(doc), PositionOf(doc, "2.0") +
                                " rows[0].bus_factor: is 2.0, but all_reduce on 4 ranks has "
                                "nccl-tests' 1.5");
  doc = Commbench();
  doc["rows"] = json::array();
  EXPECT_EQ(CommError(doc), PositionOf(doc, "[]") + " rows: no rows: the run measured nothing");
  doc["rows"] = json::object();
  EXPECT_EQ(CommError(doc), PositionOf(doc, "{}") + " rows: must be an array, got object");
  doc = Commbench();
  doc["nranks"] = 0;
  EXPECT_EQ(CommError(doc), PositionOf(doc, "0,\n  \"ranks_per_node\"") +
                                " nranks: must be a positive integer, got 0");
  doc = Commbench();
  doc["machine"] = "vm";
  EXPECT_EQ(CommError(doc), PositionOf(doc, "\"vm\"") + " machine: must be an object, got string");
}

TEST(BenchIo, MissingFileAndDirectory) {
  EXPECT_EQ(
      ErrorOf([](const std::string&, const std::string&) { ReadCommbench("/no/such.json"); }, ""),
      "/no/such.json: cannot read file: No such file or directory");
  const std::string dir = ::testing::TempDir();
  EXPECT_EQ(ErrorOf([&](const std::string&, const std::string&) { ReadMatbench(dir); }, ""),
            dir + ": is a directory; expected a JSON file");
}

TEST(BenchIo, ReadsMatbenchAndItsDtype) {
  MatbenchRun r = ParseMatbench("run.json", Matbench().dump());
  EXPECT_EQ(r.engine, "openblas");
  EXPECT_EQ(r.machine, "vm");  // empty label: the hostname
  EXPECT_EQ(r.peak_tflops, 0.078);
  ASSERT_EQ(r.gemm_sweep.size(), 3u);
  EXPECT_EQ(r.gemm_sweep[2].k, 512);
  EXPECT_EQ(MatbenchDtype(r), Dtype::kFp32);
  r.engine = "cublas";
  EXPECT_EQ(MatbenchDtype(r), Dtype::kTf32);  // cuBLAS runs float GEMMs as TF32
  r.dtype = "bfloat16";
  EXPECT_EQ(MatbenchDtype(r), Dtype::kBf16);
  r.dtype = "double";
  EXPECT_THROW(MatbenchDtype(r), InputError);
  const std::vector<calib::GemmSample> s = GemmSamples(r);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_DOUBLE_EQ(s[1].time_s, 500e-6);
}

TEST(BenchIo, MatbenchErrors) {
  json doc = Matbench();
  doc["gemm_sweep"][1]["m"] = 0;
  EXPECT_EQ(MatError(doc), PositionOf(doc, "\"m\": 0", 0, 5) +
                               " gemm_sweep[1].m: must be a positive integer, got 0");
  doc = Matbench();
  doc["dtype"] = "fp8";
  EXPECT_NE(MatError(doc).find("dtype: must be 'float', 'double', 'half' or 'bfloat16', got 'fp8'"),
            std::string::npos);
  doc = Matbench();
  doc["peak_tflops"] = 0;
  EXPECT_NE(MatError(doc).find("peak_tflops: must be a positive number, got 0"), std::string::npos);
  doc = Matbench();
  doc.erase("gemm_sweep");
  EXPECT_EQ(MatError(doc), "run.json:1:1: missing field 'gemm_sweep'");
}

TEST(BenchIo, LevelOfARun) {
  const ClusterSpec c = LoadCluster("dgx-a100-80gb");  // nvlink (8), infiniband (cluster)
  CommbenchRun r = ParseCommbench("run.json", Commbench().dump());
  EXPECT_EQ(ResolveLevel(c, r, std::nullopt, "--level"), "nvlink");
  r.nranks = 16;
  EXPECT_THROW(ResolveLevel(c, r, std::nullopt, "--level"),
               InputError);  // 16 ranks are not in one node
  EXPECT_EQ(ResolveLevel(c, r, std::string("infiniband"), "--level"), "infiniband");
  r.level = "inter-node";
  EXPECT_EQ(ResolveLevel(c, r, std::nullopt, "--level"), "infiniband");
  r.level = "nvlink";  // commbench --level nvlink
  EXPECT_EQ(ResolveLevel(c, r, std::nullopt, "--level"), "nvlink");
  r.level = "nvlnk";
  try {
    ResolveLevel(c, r, std::nullopt, "--level");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "run.json: level 'nvlnk' is not a network level: cluster dgx-a100-80gb has levels "
              "'nvlink' or 'infiniband' (did you mean 'nvlink'?); name the level with --level");
  }
  try {
    ResolveLevel(c, r, std::string("ib"), "--level");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).substr(0, 29), "--level: unknown level 'ib': ");
  }
}

TEST(BenchIo, SamplesFollowPlacementAndSizeRange) {
  const CommbenchRun r = ParseCommbench("run.json", Commbench().dump());
  std::vector<calib::CommSample> s = CommSamples(r, "nvlink", {});
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].level, "nvlink");
  EXPECT_EQ(s[0].nranks, 4);
  EXPECT_DOUBLE_EQ(s[0].time_s, 100e-6);  // out of place
  EXPECT_EQ(s[3].collective, Collective::kSendRecv);
  s = CommSamples(r, "nvlink", {Placement::kBoth, 2 << 20, 4 << 20});
  ASSERT_EQ(s.size(), 4u);  // two sizes, both placements
  EXPECT_DOUBLE_EQ(s[1].time_s, 200e-6);
  CommbenchRun bad = r;
  bad.wrong_total = 3;
  EXPECT_THROW(CommSamples(bad, "nvlink", {}), InputError);
}

TEST(BenchIo, MergeReplacesTheSameFitAndKeepsOthers) {
  EfficiencySpec e;
  constexpr Collective kAr = Collective::kAllReduce;
  e.collectives = {{kAr, "nvlink", 8, 10, 200}, {Collective::kAllGather, "nvlink", 8, 5, 180}};
  MergeCollectiveFits({{kAr, "nvlink", 8, 12, 210}, {kAr, "nvlink", 4, 9, 190}}, &e);
  ASSERT_EQ(e.collectives.size(), 3u);
  EXPECT_EQ(e.collectives[0].alpha_us, 12);
  EXPECT_EQ(e.collectives[1].collective, Collective::kAllGather);
  EXPECT_EQ(e.collectives[2].nranks, 4);
}

// The calibrated cluster survives YAML and the step-time model then prices with the fit: the
// same rank count if measured, else the nearest.
TEST(BenchIo, CalibratedClusterRoundTripsAndIsUsed) {
  ClusterSpec c = LoadCluster("dgx-a100-80gb");
  c.usable_hbm_fraction = 0.95;
  constexpr Collective kAr = Collective::kAllReduce;
  MergeCollectiveFits(
      {{kAr, "nvlink", 2, 50, 100}, {kAr, "nvlink", 4, 400, 0.4}, {kAr, "nvlink", 8, 30, 200}},
      &c.efficiency);
  c.efficiency.source = "planner calibrate test";
  const ClusterSpec back = ReadClusterSpec(ParseYaml("out.yaml", ClusterToYaml(c)));
  ASSERT_EQ(back.efficiency.collectives.size(), 3u);
  EXPECT_EQ(back.efficiency.collectives[1].alpha_us, 400);
  EXPECT_EQ(back.efficiency.collectives[1].bus_bw_GBps, 0.4);
  EXPECT_EQ(back.efficiency.source, "planner calibrate test");
  EXPECT_EQ(back.usable_hbm_fraction, 0.95);
  EXPECT_EQ(back.efficiency.gemm_max, c.efficiency.gemm_max);
  const double bytes = 8 << 20;
  // 4 ranks: alpha + 2 (4-1)/4 bytes / busbw.
  EXPECT_NEAR(CollectiveSeconds(back, Collective::kAllReduce, 4, 1, bytes),
              400e-6 + 1.5 * bytes / 0.4e9, 1e-12);
  EXPECT_EQ(FindCollectiveFit(back, Collective::kAllReduce, 0, 3)->nranks, 4);
  EXPECT_EQ(FindCollectiveFit(back, Collective::kAllReduce, 0, 6)->nranks, 8);
  EXPECT_EQ(FindCollectiveFit(back, Collective::kAllGather, 0, 4), nullptr);
  EXPECT_EQ(FindCollectiveFit(back, Collective::kAllReduce, 1, 4), nullptr);
}

}  // namespace
}  // namespace planner
