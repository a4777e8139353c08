#include "comm/report.h"

#include <cstdio>

namespace comm {
namespace {

std::string Printf(const char* format, auto... args) {
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer), format, args...);
  return buffer;
}

std::string FormatGroup(const Measurement& m) {
  const std::string wrong =
      m.wrong ? Printf("%6g", static_cast<double>(*m.wrong)) : std::string("   N/A");
  return Printf("  %7s  %6s  %6s  %s", FormatNumber(m.time_us, 7).c_str(),
                FormatNumber(m.algbw_GBps, 6).c_str(), FormatNumber(m.busbw_GBps, 6).c_str(),
                wrong.c_str());
}

}  // namespace

Measurement MakeMeasurement(uint64_t size_bytes, double seconds, double bus_factor,
                            std::optional<int64_t> wrong) {
  Measurement m;
  m.time_us = seconds * 1e6;
  m.algbw_GBps = seconds > 0.0 ? static_cast<double>(size_bytes) / 1e9 / seconds : 0.0;
  m.busbw_GBps = m.algbw_GBps * bus_factor;
  m.wrong = wrong;
  return m;
}

std::string FormatNumber(double value, int width) {
  int digits = 0;  // digits before the decimal point
  for (double bound = 1.0; value >= bound && digits < 40; bound *= 10.0) ++digits;
  if (digits < width - 2) return Printf("%*.2f", width, value);
  if (digits < width - 1) return Printf("%*.1f", width, value);
  if (digits < width + 1) return Printf("%*.0f", width, value);
  return Printf("%*.1e", width, value);
}

std::vector<std::string> TableHeader() {
  return {
      Printf("# %10s  %12s  %8s  %6s  %6s           out-of-place                       in-place"
             "          ",
             "", "", "", "", ""),
      Printf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s", "size", "count",
             "type", "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw",
             "#wrong"),
      Printf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s", "(B)",
             "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)",
             ""),
  };
}

std::string FormatRow(const Row& row) {
  return Printf("%12llu  %12llu  %8s  %6s  %6d", static_cast<unsigned long long>(row.size_bytes),
                static_cast<unsigned long long>(row.count), row.type.c_str(), row.redop.c_str(),
                row.root) +
         FormatGroup(row.out_of_place) + FormatGroup(row.in_place);
}

std::vector<std::string> TableFooter(int64_t wrong_total, double avg_busbw_GBps) {
  return {
      Printf("# %-20s : %lld %s", "Out of bounds values", static_cast<long long>(wrong_total),
             wrong_total == 0 ? "OK" : "FAILED"),
      Printf("# %-20s : %g ", "Avg bus bandwidth", avg_busbw_GBps),
      "#",
  };
}

double AverageBusBandwidth(const std::vector<Row>& rows) {
  if (rows.empty()) return 0.0;
  double sum = 0.0;
  for (const Row& r : rows) sum += r.out_of_place.busbw_GBps + r.in_place.busbw_GBps;
  return sum / (2.0 * static_cast<double>(rows.size()));
}

int64_t TotalWrong(const std::vector<Row>& rows) {
  int64_t total = 0;
  for (const Row& r : rows)
    total += r.out_of_place.wrong.value_or(0) + r.in_place.wrong.value_or(0);
  return total;
}

}  // namespace comm
