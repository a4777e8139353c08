#include "planner/io/cluster_io.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "planner/core/fit.h"
#include "planner/core/limits.h"
#include "planner/io/format.h"
#include "planner/io/input_error.h"
#include "planner/io/operations_io.h"
#include "planner/io/presets.h"

namespace planner {
namespace {

// Defaults of a minimal cluster file (docs/minimal-inputs.md), from the dgx-h100 preset: HBM
// bandwidth and price in proportion to the bf16 peak (3,350 GB/s and $3.99 per GPU-hour for
// 989.5 TFLOP/s), and its latencies (3 us inside a node, 5 us across nodes).
constexpr double kDefaultHbmGBpsPerTflops = 3350 / 989.5;
constexpr double kDefaultUsdPerTflopsHour = 3.99 / 989.5;
constexpr double kDefaultInnerLatency_us = 3;
constexpr double kDefaultOuterLatency_us = 5;

double LargestPeak(const GpuSpec& gpu) {
  double peak = gpu.peak(Dtype::kBf16);
  if (peak <= 0) {
    for (double p : gpu.peak_tflops) peak = std::max(peak, p);
  }
  return peak;
}

std::string Rounded(double v, int digits) {
  std::ostringstream out;
  out.precision(digits);
  out << v;
  return out.str();
}

GpuSpec ReadGpu(const StrictMap& m, std::vector<std::string>* assumed) {
  const StrictMap g = m.Map(
      "gpu", {"name", "peak_tflops", "hbm_GiB", "hbm_GBps", "tdp_W", "host_link_GBps", "host_GiB"});
  GpuSpec gpu;
  gpu.name = g.OptString("name").value_or("GPU");
  if (!g.Has("name")) assumed->push_back("gpu.name = GPU");
  const StrictMap peaks = g.Map("peak_tflops", ChoiceNames(Choices(kDtypeNames)));
  for (const EnumName<Dtype>& e : kDtypeNames) {
    gpu.peak_tflops[static_cast<int>(e.value)] = peaks.OptDouble(e.name).value_or(0);
  }
  gpu.hbm_GiB = g.Double("hbm_GiB");
  if (g.Has("hbm_GBps")) {
    gpu.hbm_GBps = g.Double("hbm_GBps");
  } else {
    gpu.hbm_GBps = std::round(LargestPeak(gpu) * kDefaultHbmGBpsPerTflops);
    assumed->push_back("gpu.hbm_GBps = " + Rounded(gpu.hbm_GBps, 6) +
                       " (H100 SXM's 3,350 GB/s per 989.5 bf16 TFLOP/s)");
  }
  gpu.tdp_W = g.OptDouble("tdp_W").value_or(0);
  gpu.host_link_GBps = g.OptDouble("host_link_GBps").value_or(0);
  gpu.host_GiB = g.OptDouble("host_GiB").value_or(0);
  return gpu;
}

// Only bw_GBps is required: the first of several levels spans one node, the last (or only) one
// the cluster, and latencies are the dgx-h100 preset's; a level in between needs its size.
std::vector<NetworkLevel> ReadNetwork(const StrictMap& m, int64_t gpus_per_node,
                                      std::vector<std::string>* assumed) {
  if (!m.Has("network") || !m.Value("network").IsSequence()) {
    m.Fail("network", "network must be a list of levels ({name, size, bw_GBps, latency_us})");
  }
  const size_t count = m.Value("network").size();
  std::vector<NetworkLevel> levels;
  for (const YAML::Node& n : m.Value("network")) {
    const size_t i = levels.size();
    const std::string prefix = "network[" + std::to_string(i) + "].";
    const StrictMap l(m.file(), n, {"name", "size", "bw_GBps", "latency_us"}, "a network level",
                      prefix);
    NetworkLevel level{l.OptString("name").value_or("level" + std::to_string(i)), 0,
                       l.Double("bw_GBps"), 0};
    if (!l.Has("name")) assumed->push_back(prefix + "name = " + level.name);
    if (l.Has("size")) {
      level.size = l.Int("size");
    } else if (i + 1 < count && i > 0) {
      l.Fail("size", "missing required key '" + prefix + "size' (only the first level, one node, "
                     "and the last, the whole cluster, have a default)");
    } else {
      level.size = i + 1 < count ? gpus_per_node : 0;
      assumed->push_back(prefix + "size = " +
                         (level.size ? std::to_string(level.size) + " (one node)"
                                     : std::string("0 (the whole cluster)")));
    }
    const double latency = i == 0 && count > 1 ? kDefaultInnerLatency_us : kDefaultOuterLatency_us;
    level.latency_us = l.OptDouble("latency_us").value_or(latency);
    if (!l.Has("latency_us")) {
      assumed->push_back(prefix + "latency_us = " + Rounded(latency, 3) +
                         " (the dgx-h100 preset's " + (latency == 3 ? "intra" : "inter") +
                         "-node alpha)");
    }
    levels.push_back(level);
  }
  return levels;
}

// The 16-bit dense peak, the scale the efficiency terms were fitted at.
double Peak16(const GpuSpec& gpu) {
  return gpu.peak(Dtype::kBf16) > 0 ? gpu.peak(Dtype::kBf16) : gpu.peak(Dtype::kFp16);
}

// A cluster file without an efficiency block: the terms of the measured GPU nearest by 16-bit peak
// (the presets whose terms `planner validate --fit` produced in full), with a source that says so,
// rather than the library's untested defaults (which plan a hand-written H100 file at 70% MFU).
// A preset that fitted the GEMM terms alone (its records all fp8 or fp4: B200, GB200, GB300) is
// not a source:
// GB200 and GB300 share a peak and differ by 28% in gemm_max, which the peak cannot choose.
EfficiencySpec NearestMeasuredEfficiency(const GpuSpec& gpu, std::vector<std::string>* assumed) {
  const double peak = Peak16(gpu);
  std::optional<ClusterSpec> nearest;
  for (const Preset& p : AllPresets()) {
    if (std::string(p.kind) != "clusters") continue;
    ClusterSpec c = ReadClusterSpec(ParseYaml(p.path, p.text));
    if (c.efficiency.source.rfind("planner validate", 0) != 0 || Peak16(c.gpu) <= 0 ||
        c.efficiency.source.find(kGemmTermsAloneNote) != std::string::npos) {
      continue;
    }
    const auto distance = [&](const ClusterSpec& x) {
      return std::abs(std::log(Peak16(x.gpu) / peak));
    };
    if (!nearest || distance(c) < distance(*nearest)) nearest = std::move(c);
  }
  if (!nearest || peak <= 0) return EfficiencySpec{};
  EfficiencySpec e = nearest->efficiency;
  e.collectives.clear();  // measured on that machine's network, not this one's
  // A fixed cost per kernel (~10 us) at the peak: the FLOPs it hides scale with this GPU's peak.
  e.gemm_half_flops *= peak / Peak16(nearest->gpu);
  e.source = "carried over from " + nearest->name + " (" + nearest->gpu.name + ", " +
             Rounded(Peak16(nearest->gpu), 6) + " 16-bit TFLOP/s, the nearest fitted GPU to " +
             Rounded(peak, 6) + "); not fitted for this GPU";
  assumed->push_back("efficiency = " + nearest->name + "'s fitted terms (no efficiency block)");
  return e;
}

EfficiencySpec ReadEfficiency(const StrictMap& m) {
  EfficiencySpec e;
  if (!m.Has("efficiency")) return e;
  std::vector<std::string> keys = {"collectives", "source"};
  for (const EfficiencyTerm& t : kEfficiencyTerms) keys.push_back(t.key);
  const StrictMap em = m.Map("efficiency", keys);
  for (const auto& [key, member] : kEfficiencyTerms)
    e.*member = em.OptDouble(key).value_or(e.*member);
  // One fraction for every level unless the scale-out network has its own.
  if (!em.Has("scaleout_bw_fraction")) e.scaleout_bw_fraction = e.collective_bw_fraction;
  e.source = em.OptString("source").value_or("");
  if (em.Has("collectives")) {
    if (!em.Value("collectives").IsSequence()) em.Fail("collectives", "collectives must be a list");
    for (const YAML::Node& n : em.Value("collectives")) {
      const StrictMap c(m.file(), n, {"collective", "level", "nranks", "alpha_us", "bus_bw_GBps"},
                        "a fitted collective", "efficiency.collectives[].");
      const std::string name = c.String("collective");
      const std::optional<Collective> kind = ParseCollective(name);
      if (!kind) {
        c.Fail("collective", "efficiency.collectives[" + std::to_string(e.collectives.size()) +
                                 "].collective: unknown collective '" + name +
                                 "' (commbench's names: " + CollectiveNameList() + ")");
      }
      e.collectives.push_back({*kind, c.String("level"), c.Int("nranks"), c.Double("alpha_us"),
                               c.Double("bus_bw_GBps")});
    }
  }
  return e;
}

// Points a core validation error at its key: "network[1].size" or
// "efficiency.collectives[0].level" is walked through the document to the deepest node that
// exists, so the message names that line.
[[noreturn]] void FailValidation(const StrictMap& m, const ClusterError& e) {
  const std::string top = e.key.substr(0, e.key.find_first_of(".["));
  if (!m.Has(top)) m.Fail(e.key, e.message);
  // YAML::Node has reference semantics: `=` would overwrite the document, reset() rebinds.
  YAML::Node node;
  node.reset(m.Value(top));
  size_t pos = top.size();
  while (pos < e.key.size()) {
    const YAML::Node current = node;
    size_t end;
    if (e.key[pos] == '[') {
      const size_t close = e.key.find(']', pos);
      if (close == std::string::npos) break;
      end = close + 1;
      const size_t index = std::stoul(e.key.substr(pos + 1));
      if (!current.IsSequence() || index >= current.size()) break;
      node.reset(current[index]);
    } else {
      end = std::min(e.key.find_first_of(".[", pos + 1), e.key.size());
      const std::string leaf = e.key.substr(pos + 1, end - pos - 1);
      if (!current.IsMap() || !current[leaf]) break;
      node.reset(current[leaf]);
    }
    pos = end;
  }
  FailAt(m.file(), node, e.message);
}

}  // namespace

ClusterSpec ReadClusterSpec(const YamlDoc& doc, std::optional<int64_t> gpus) {
  if (doc.root.IsMap() && doc.root["n_layers"] && doc.root["d_model"]) {
    throw InputError(doc.file, "this is a model spec (it has 'n_layers' and 'd_model') where a "
                               "cluster is expected; are MODEL and CLUSTER swapped? (see --help)");
  }
  std::vector<std::string> keys = {"name", "description", "gpu", "gpus_per_node", "nodes", "gpus",
                                   "network", "price_per_gpu_hour_usd", "efficiency",
                                   "usable_hbm_fraction"};
  keys.insert(keys.end(), OperationsKeys().begin(), OperationsKeys().end());
  const StrictMap m(doc.file, doc.root, keys, "cluster spec");
  ClusterSpec c;
  if (m.Has("name")) {
    c.name = m.String("name");
  } else {
    const std::string stem = doc.file.substr(doc.file.find_last_of('/') + 1);
    c.name = stem.substr(0, stem.rfind('.'));
    c.assumed.push_back("name = " + c.name + " (the file's)");
  }
  c.description = m.OptString("description").value_or("");
  c.gpu = ReadGpu(m, &c.assumed);
  c.gpus_per_node = m.Int("gpus_per_node");
  if (!m.Has("nodes") && !m.Has("gpus")) {
    if (!gpus) m.Fail("nodes", "give nodes (or gpus) here, or a GPU count on the command line");
    c.nodes = 1;  // --gpus sets the count (LoadCluster)
  } else if (m.Has("nodes") == m.Has("gpus")) {
    m.Fail("gpus", "give exactly one of nodes and gpus");
  } else if (m.Has("nodes")) {
    c.nodes = m.Int("nodes");
  } else {
    const int64_t gpus = m.Int("gpus");
    if (c.gpus_per_node <= 0 || gpus <= 0 || gpus % c.gpus_per_node != 0) {
      m.Fail("gpus", "gpus (" + std::to_string(gpus) + ") must be a positive multiple of "
                     "gpus_per_node (" + std::to_string(c.gpus_per_node) + ")");
    }
    c.nodes = gpus / c.gpus_per_node;
  }
  c.network = ReadNetwork(m, c.gpus_per_node, &c.assumed);
  if (m.Has("price_per_gpu_hour_usd")) {
    c.price_per_gpu_hour_usd = m.Double("price_per_gpu_hour_usd");
  } else {
    c.price_per_gpu_hour_usd = std::round(LargestPeak(c.gpu) * kDefaultUsdPerTflopsHour * 100) / 100;
    c.assumed.push_back("price_per_gpu_hour_usd = " + Rounded(c.price_per_gpu_hour_usd, 6) +
                        " (dgx-h100's $3.99 per GPU-hour per 989.5 bf16 TFLOP/s)");
  }
  c.efficiency =
      m.Has("efficiency") ? ReadEfficiency(m) : NearestMeasuredEfficiency(c.gpu, &c.assumed);
  c.usable_hbm_fraction = m.OptDouble("usable_hbm_fraction").value_or(1.0);
  ReadOperations(m, &c);
  if (auto e = Validate(c)) FailValidation(m, *e);
  return c;
}

void SetGpuCount(ClusterSpec* c, int64_t gpus, const std::string& where) {
  if (gpus <= 0) throw InputError(where, "must be a positive integer, got " + std::to_string(gpus));
  if (gpus > kMaxGpus) {
    throw InputError(where, std::to_string(gpus) + " is more GPUs than any cluster (limit " +
                                Grouped(kMaxGpus) + ")");
  }
  if (gpus < c->gpus_per_node) {
    c->gpus_per_node = gpus;  // part of one node
    c->nodes = 1;
    return;
  }
  if (gpus % c->gpus_per_node != 0) {
    throw InputError(where, std::to_string(gpus) + " is not a whole number of " +
                                std::to_string(c->gpus_per_node) + "-GPU nodes of " + c->name);
  }
  c->nodes = gpus / c->gpus_per_node;
}

ClusterSpec LoadCluster(const std::string& arg, std::optional<int64_t> gpus,
                        const std::string& gpus_where) {
  ClusterSpec c = ReadClusterSpec(LoadSpecDoc("clusters", arg), gpus);
  if (gpus) SetGpuCount(&c, *gpus, gpus_where);
  return c;
}

std::string ClusterToYaml(const ClusterSpec& c) {
  YAML::Emitter out;
  // 15 significant digits: every number read from YAML comes back as written (0.7555, not
  // yaml-cpp's default 17 digits, 0.75549999999999995).
  out.SetDoublePrecision(15);
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << c.name;
  out << YAML::Key << "description" << YAML::Value << c.description;
  out << YAML::Key << "gpu" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << c.gpu.name;
  out << YAML::Key << "peak_tflops" << YAML::Value << YAML::Flow << YAML::BeginMap;
  for (const EnumName<Dtype>& e : kDtypeNames) {
    if (c.gpu.peak(e.value) > 0) out << YAML::Key << e.name << YAML::Value << c.gpu.peak(e.value);
  }
  out << YAML::EndMap;
  out << YAML::Key << "hbm_GiB" << YAML::Value << c.gpu.hbm_GiB;
  out << YAML::Key << "hbm_GBps" << YAML::Value << c.gpu.hbm_GBps;
  if (c.gpu.tdp_W > 0) out << YAML::Key << "tdp_W" << YAML::Value << c.gpu.tdp_W;
  if (c.gpu.host_link_GBps > 0) {
    out << YAML::Key << "host_link_GBps" << YAML::Value << c.gpu.host_link_GBps;
  }
  if (c.gpu.host_GiB > 0) out << YAML::Key << "host_GiB" << YAML::Value << c.gpu.host_GiB;
  out << YAML::EndMap;
  out << YAML::Key << "gpus_per_node" << YAML::Value << c.gpus_per_node;
  out << YAML::Key << "nodes" << YAML::Value << c.nodes;
  out << YAML::Key << "network" << YAML::Value << YAML::BeginSeq;
  for (const NetworkLevel& l : c.network) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << l.name
        << YAML::Key << "size" << YAML::Value << l.size << YAML::Key << "bw_GBps" << YAML::Value
        << l.bw_GBps << YAML::Key << "latency_us" << YAML::Value << l.latency_us << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "price_per_gpu_hour_usd" << YAML::Value << c.price_per_gpu_hour_usd;
  const EfficiencySpec& e = c.efficiency;
  out << YAML::Key << "efficiency" << YAML::Value << YAML::BeginMap;
  for (const auto& [key, member] : kEfficiencyTerms)
    out << YAML::Key << key << YAML::Value << e.*member;
  if (!e.collectives.empty()) {
    out << YAML::Key << "collectives" << YAML::Value << YAML::BeginSeq;
    for (const CollectiveFit& f : e.collectives) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "collective" << YAML::Value
          << ToString(f.collective) << YAML::Key << "level" << YAML::Value << f.level << YAML::Key
          << "nranks" << YAML::Value << f.nranks << YAML::Key << "alpha_us" << YAML::Value
          << f.alpha_us << YAML::Key << "bus_bw_GBps" << YAML::Value << f.bus_bw_GBps
          << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!e.source.empty()) out << YAML::Key << "source" << YAML::Value << e.source;
  out << YAML::EndMap;
  if (c.usable_hbm_fraction != 1.0) {  // the reader's default; anything else must round-trip
    out << YAML::Key << "usable_hbm_fraction" << YAML::Value << c.usable_hbm_fraction;
  }
  EmitOperations(c, &out);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace planner
