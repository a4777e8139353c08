#include "planner/cli/gpu_counts.h"

#include <algorithm>
#include <charconv>

#include "planner/core/limits.h"
#include "planner/core/sizing.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"

namespace planner {
namespace {

int64_t CountIn(const std::string& text, const std::string& part) {
  int64_t v = 0;
  const char* end = part.data() + part.size();
  const auto [ptr, ec] = std::from_chars(part.data(), end, v);
  if (part.empty() || ec != std::errc() || ptr != end || v <= 0 || v > kMaxGpus) {
    throw InputError("--gpus", "'" + part + "' in '" + text +
                                   "' is not a GPU count (positive whole number up to " +
                                   Grouped(kMaxGpus) +
                                   "); give N, N,M,..., LO-HI or LO-HI:STEP_NODES");
  }
  return v;
}

GpuCountItem ParseItem(const std::string& text, const std::string& item) {
  GpuCountItem out;
  const size_t dash = item.find('-');
  if (dash == std::string::npos) {
    out.lo = out.hi = CountIn(text, item);
    return out;
  }
  const size_t colon = item.find(':', dash);
  out.lo = CountIn(text, item.substr(0, dash));
  out.hi =
      CountIn(text, item.substr(dash + 1, colon == std::string::npos ? colon : colon - dash - 1));
  if (colon != std::string::npos) out.step_nodes = CountIn(text, item.substr(colon + 1));
  if (out.hi < out.lo) {
    throw InputError("--gpus", "range '" + item + "' runs backwards; write LO-HI");
  }
  return out;
}

void CheckWholeNodes(int64_t gpus, int64_t gpus_per_node, const std::string& cluster) {
  if (gpus % gpus_per_node != 0) {
    throw InputError("--gpus",
                     Grouped(gpus) + " is not a whole number of " + std::to_string(gpus_per_node) +
                         "-GPU nodes of " + cluster + " (nearest: " +
                         Grouped(std::max(gpus_per_node, gpus / gpus_per_node * gpus_per_node)) +
                         " or " + Grouped((gpus / gpus_per_node + 1) * gpus_per_node) + ")");
  }
}

}  // namespace

GpuCountSpec ParseGpuCounts(const std::string& text) {
  GpuCountSpec spec;
  spec.text = text;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    spec.items.push_back(ParseItem(text, text.substr(start, comma - start)));
    start = comma + 1;
  }
  return spec;
}

std::vector<int64_t> GpuCountsFor(const GpuCountSpec& spec, int64_t gpus_per_node,
                                  const std::string& cluster) {
  std::vector<int64_t> out;
  for (const GpuCountItem& item : spec.items) {
    CheckWholeNodes(item.lo, gpus_per_node, cluster);
    CheckWholeNodes(item.hi, gpus_per_node, cluster);
    out.push_back(item.lo);
    out.push_back(item.hi);
    if (item.step_nodes > 0) {
      const int64_t step = item.step_nodes * gpus_per_node;
      for (int64_t g = item.lo + step; g < item.hi && out.size() <= kMaxGpuCounts; g += step) {
        out.push_back(g);
      }
    } else if (item.hi > item.lo) {
      for (const int64_t g : NodeGridGpuCounts(gpus_per_node, item.hi)) {
        if (g > item.lo) out.push_back(g);
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > kMaxGpuCounts) {
    throw InputError("--gpus", "'" + spec.text + "' asks for more than " +
                                   std::to_string(kMaxGpuCounts) + " GPU counts on " + cluster +
                                   " (each is a full layout search); use a coarser step");
  }
  return out;
}

}  // namespace planner
