// commfit: fits alpha-beta per collective to commbench JSON, or the GEMM-efficiency curve to a
// matbench JSON's GEMM sweep, with planner/core/calibrate, and prints each fit and its error on
// held-out sizes (alternate sizes), until `planner calibrate` takes this over.
//   commfit results.json [--min-bytes B] [--max-bytes B] [--placement out|in|both]
//           [--segments K]
// Out-of-place rows by default: in place, MPI's send/recv and reduce-scatter add a local copy,
// which is a different cost from the one the planner models.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "comm/sizes.h"
#include "planner/core/calibrate.h"

namespace {

using planner::calib::CommSample;

struct Args {
  std::string path;
  uint64_t min_bytes = 0, max_bytes = UINT64_MAX;
  std::string placement = "out";
  int segments = 1;
};

bool Parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--min-bytes" && has_value) {
      auto v = comm::ParseSize(argv[++i]);
      if (!v) return false;
      a.min_bytes = *v;
    } else if (arg == "--max-bytes" && has_value) {
      auto v = comm::ParseSize(argv[++i]);
      if (!v) return false;
      a.max_bytes = *v;
    } else if (arg == "--placement" && has_value) {
      a.placement = argv[++i];
      if (a.placement != "out" && a.placement != "in" && a.placement != "both") return false;
    } else if (arg == "--segments" && has_value) {
      a.segments = std::atoi(argv[++i]);
      if (a.segments < 1 || a.segments > 16) return false;
    } else if (a.path.empty() && arg[0] != '-') {
      a.path = arg;
    } else {
      return false;
    }
  }
  return !a.path.empty();
}

std::vector<CommSample> Samples(const nlohmann::json& doc, const Args& a) {
  std::vector<CommSample> samples;
  for (const auto& row : doc.at("rows")) {
    const auto c = planner::calib::ParseCollective(row.at("collective").get<std::string>());
    const uint64_t bytes = row.at("size_bytes").get<uint64_t>();
    if (!c || bytes < a.min_bytes || bytes > a.max_bytes) continue;
    for (const char* key : {"out_of_place", "in_place"}) {
      if (a.placement != "both" && a.placement != std::string(key).substr(0, a.placement.size())) {
        continue;
      }
      samples.push_back({*c, doc.at("nranks").get<int>(), static_cast<double>(bytes),
                         row.at(key).at("time_us").get<double>() * 1e-6,
                         doc.at("level").get<std::string>()});
    }
  }
  return samples;
}

void PrintCommFits(const nlohmann::json& doc, const Args& args) {
  planner::calib::FitOptions options;
  options.max_segments = args.segments;
  const auto fits = planner::calib::FitAllAlphaBeta(Samples(doc, args), options);
  std::printf("# %-15s %6s %10s %12s %7s %7s %11s %11s %12s\n", "collective", "nranks", "alpha(us)",
              "busbw(GB/s)", "n_fit", "n_held", "fit_MAPE%", "held_MAPE%", "held_max%");
  double sum = 0.0;
  for (const auto& f : fits) {
    const auto& q = f.quality;
    std::printf("  %-15s %6d %10.2f %12.3f %7zu %7zu %11.1f %11.1f %12.1f\n",
                planner::calib::ToString(f.collective), f.nranks, f.alpha_us(), f.busbw_GBps(),
                q.n_train, q.n_heldout, 100 * q.train_mape, 100 * q.heldout_mape,
                100 * q.heldout_max_abs_rel_error);
    sum += q.heldout_mape;
    for (const auto& seg : f.segments) {
      std::printf("    regime up to %-10.0f alpha %8.2f us  busbw %8.3f GB/s\n", seg.max_bytes,
                  seg.alpha_s * 1e6, seg.beta_s_per_byte > 0 ? 1e-9 / seg.beta_s_per_byte : 0.0);
    }
  }
  if (!fits.empty()) std::printf("# mean held-out MAPE: %.1f%%\n", 100 * sum / fits.size());
}

void PrintGemmFit(const nlohmann::json& doc) {
  if (doc.at("peak_tflops").is_null()) throw std::runtime_error("no peak_tflops in the run");
  std::vector<planner::calib::GemmSample> samples;
  for (const auto& row : doc.at("gemm_sweep")) {
    samples.push_back({row.at("m").get<double>(), row.at("n").get<double>(),
                       row.at("k").get<double>(), row.at("time_us").get<double>() * 1e-6});
  }
  const double peak = doc.at("peak_tflops").get<double>() * 1e12;
  const auto fit = planner::calib::FitGemmEfficiency(samples, peak);
  if (!fit) throw std::runtime_error("too few GEMM shapes to fit");
  std::printf(
      "# eff(F) = eff_max F / (F + F_half): eff_max %.3f  F_half %.3g FLOP  overhead "
      "%.2f us  (peak %.3g TFLOP/s)\n",
      fit->eff_max, fit->flops_half, fit->overhead_s * 1e6, peak / 1e12);
  std::printf("# %14s %10s %10s %9s %5s\n", "flops", "eff", "predicted", "rel_err%", "held");
  for (const auto& p : fit->quality.points) {
    std::printf("  %14.4g %10.4f %10.4f %9.1f %5s\n", p.x, p.measured, p.predicted,
                100 * p.rel_error, p.held_out ? "yes" : "");
  }
  std::printf("# fit MAPE: %.1f%%  held-out MAPE: %.1f%%\n", 100 * fit->quality.train_mape,
              100 * fit->quality.heldout_mape);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "commfit: error: usage: commfit results.json [--min-bytes B] "
                 "[--max-bytes B] [--placement out|in|both] [--segments K]\n");
    return 2;
  }
  nlohmann::json doc;
  try {
    std::ifstream in(args.path);
    doc = nlohmann::json::parse(in);
    if (doc.value("schema", "") == "matbench") {
      PrintGemmFit(doc);
    } else {
      PrintCommFits(doc, args);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "commfit: error: %s: %s\n", args.path.c_str(), e.what());
    return 2;
  }
  return 0;
}
