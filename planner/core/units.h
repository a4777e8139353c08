// Unit helpers. Memory capacity is reported in GiB (2^30 bytes, as nvidia-smi and PyTorch do);
// bandwidth in decimal GB/s (1e9 bytes/s, as nccl-tests and datasheets do). Names carry units.
#ifndef PLANNER_CORE_UNITS_H_
#define PLANNER_CORE_UNITS_H_

#include <cstdint>

namespace planner {

inline constexpr double kBytesPerGiB = 1024.0 * 1024.0 * 1024.0;
inline constexpr double kBytesPerGB = 1e9;
inline constexpr double kFlopsPerTflop = 1e12;
inline constexpr double kFlopsPerPflop = 1e15;
inline constexpr double kSecondsPerHour = 3600.0;
inline constexpr double kSecondsPerDay = 86400.0;
inline constexpr double kSecondsPerUs = 1e-6;
// One petaflop/s-day, the unit of Kaplan et al. 2020 and the GPT-3 paper.
inline constexpr double kFlopsPerPfDay = 1e15 * kSecondsPerDay;

constexpr double BytesToGiB(double bytes) { return bytes / kBytesPerGiB; }
constexpr double GiBToBytes(double gib) { return gib * kBytesPerGiB; }
constexpr double BytesToGB(double bytes) { return bytes / kBytesPerGB; }
constexpr double GBToBytes(double gb) { return gb * kBytesPerGB; }
// Seconds to move `bytes` at `bw_GBps` decimal gigabytes per second.
constexpr double TransferSeconds(double bytes, double bw_GBps) { return bytes / (bw_GBps * kBytesPerGB); }

}  // namespace planner

#endif  // PLANNER_CORE_UNITS_H_
