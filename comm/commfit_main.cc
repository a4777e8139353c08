// commfit: fits alpha-beta per collective to commbench JSON with planner/core/calibrate and
// prints the fit and its error on held-out sizes (alternate sizes), until `planner calibrate`
// takes this over.
//   commfit results.json [--min-bytes B] [--max-bytes B] [--placement out|in|both]
//           [--segments K]
// Out-of-place rows by default: in place, MPI's send/recv and reduce-scatter add a local copy,
// which is a different cost from the one the planner models.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
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

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, args)) {
    std::fprintf(stderr, "commfit: error: usage: commfit results.json [--min-bytes B] "
                         "[--max-bytes B] [--placement out|in|both] [--segments K]\n");
    return 2;
  }
  nlohmann::json doc;
  try {
    std::ifstream in(args.path);
    doc = nlohmann::json::parse(in);
    planner::calib::FitOptions options;
    options.max_segments = args.segments;
    const auto fits = planner::calib::FitAllAlphaBeta(Samples(doc, args), options);
    std::printf("# %-15s %6s %10s %12s %7s %7s %11s %11s %12s\n", "collective", "nranks",
                "alpha(us)", "busbw(GB/s)", "n_fit", "n_held", "fit_MAPE%", "held_MAPE%",
                "held_max%");
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "commfit: error: %s: %s\n", args.path.c_str(), e.what());
    return 2;
  }
  return 0;
}
