// The text report, laid out exactly as nccl-tests prints it so existing parsers and eyes read it:
// '#' header lines, then one row per size with the out-of-place column group followed by the
// in-place one, then the "# Avg bus bandwidth" footer. Pure formatting; no I/O.
#ifndef PLANNER_COMM_REPORT_H_
#define PLANNER_COMM_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace comm {

struct Measurement {
  double time_us = 0.0;  // max over ranks of the mean over iterations
  double algbw_GBps = 0.0;
  double busbw_GBps = 0.0;
  std::optional<int64_t> wrong;  // nullopt: not checked ("N/A")
};

struct Row {
  std::string collective;
  uint64_t size_bytes = 0;  // max(send, recv) bytes of one rank, as nccl-tests prints
  uint64_t count = 0;       // the count argument of the call (per-rank block for RS/AG/A2A)
  std::string type;
  std::string redop;  // "none" for collectives without an operator
  int root = -1;      // -1 for collectives without a root
  double bus_factor = 1.0;
  Measurement out_of_place;
  Measurement in_place;
};

// algbw = bytes / 1e9 / seconds (decimal GB/s); busbw = algbw * bus_factor.
Measurement MakeMeasurement(uint64_t size_bytes, double seconds, double bus_factor,
                            std::optional<int64_t> wrong);

// nccl-tests' number format: `width` characters, two decimals while they fit, then fewer, then
// an exponent.
std::string FormatNumber(double value, int width);

// The three '#' lines that title the columns.
std::vector<std::string> TableHeader();
std::string FormatRow(const Row& row);
// "# Out of bounds values : N OK|FAILED", "# Avg bus bandwidth    : X", "#".
std::vector<std::string> TableFooter(int64_t wrong_total, double avg_busbw_GBps);
// Mean busbw over both column groups of every row, as nccl-tests averages.
double AverageBusBandwidth(const std::vector<Row>& rows);
int64_t TotalWrong(const std::vector<Row>& rows);

}  // namespace comm

#endif  // PLANNER_COMM_REPORT_H_
