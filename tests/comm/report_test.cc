// The text layout against a golden file: nccl-tests' header, column widths and footer.
#include "comm/report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace comm {
namespace {

std::string ReadGolden(const std::string& name) {
  std::ifstream in(std::string(PLANNER_COMM_GOLDEN_DIR) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Row MakeRow(uint64_t size_bytes, uint64_t count, double out_s, double in_s,
            std::optional<int64_t> in_wrong) {
  Row r;
  r.collective = "all_reduce";
  r.size_bytes = size_bytes;
  r.count = count;
  r.type = "float";
  r.redop = "sum";
  r.root = -1;
  r.bus_factor = 1.5;
  r.out_of_place = MakeMeasurement(size_bytes, out_s, 1.5, 0);
  r.in_place = MakeMeasurement(size_bytes, in_s, 1.5, in_wrong);
  return r;
}

std::vector<Row> SampleRows() {
  return {MakeRow(8, 2, 18.02e-6, 17.67e-6, 0),
          MakeRow(134217728, 33554432, 1234.5e-6, 12345.6e-6, std::nullopt)};
}

TEST(ReportTest, MatchesGoldenLayout) {
  std::string text;
  for (const std::string& line : TableHeader()) text += line + "\n";
  const auto rows = SampleRows();
  for (const Row& r : rows) text += FormatRow(r) + "\n";
  for (const std::string& line : TableFooter(TotalWrong(rows), AverageBusBandwidth(rows))) {
    text += line + "\n";
  }
  EXPECT_EQ(text, ReadGolden("commbench_table.txt"));
}

TEST(ReportTest, AlgbwIsBytesOverSecondsAndBusbwAppliesTheFactor) {
  const Measurement m = MakeMeasurement(1000000000, 0.5, 1.5, 0);
  EXPECT_DOUBLE_EQ(m.algbw_GBps, 2.0);
  EXPECT_DOUBLE_EQ(m.busbw_GBps, 3.0);
  EXPECT_DOUBLE_EQ(m.time_us, 500000.0);
}

TEST(ReportTest, NumberFormatFollowsNcclTests) {
  EXPECT_EQ(FormatNumber(18.02, 7), "  18.02");
  EXPECT_EQ(FormatNumber(1234.5, 7), "1234.50");
  EXPECT_EQ(FormatNumber(12345.6, 7), "12345.6");
  EXPECT_EQ(FormatNumber(123456.7, 7), " 123457");
  EXPECT_EQ(FormatNumber(0.004, 6), "  0.00");
  EXPECT_EQ(FormatNumber(245.71, 6), "245.71");
  EXPECT_EQ(FormatNumber(2457.1, 6), "2457.1");
}

TEST(ReportTest, FooterFlagsWrongElements) {
  EXPECT_EQ(TableFooter(3, 1.0)[0], "# Out of bounds values : 3 FAILED");
  EXPECT_EQ(TableFooter(0, 1.0)[0], "# Out of bounds values : 0 OK");
  EXPECT_EQ(TableFooter(0, 2.5)[1], "# Avg bus bandwidth    : 2.5 ");
}

}  // namespace
}  // namespace comm
