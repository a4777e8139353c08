#include "planner/io/operations_io.h"

namespace planner {
namespace {

void ReadReliability(const StrictMap& m, ReliabilitySpec* r) {
  if (!m.Has("reliability")) return;
  const StrictMap rm =
      m.Map("reliability", {"interruptions_per_gpu_hour", "rate_p10_factor", "rate_p90_factor",
                            "detect_s", "relaunch_s", "checkpoint_interval_s", "source"});
  r->interruptions_per_gpu_hour =
      rm.OptDouble("interruptions_per_gpu_hour").value_or(r->interruptions_per_gpu_hour);
  r->rate_p10_factor = rm.OptDouble("rate_p10_factor").value_or(r->rate_p10_factor);
  r->rate_p90_factor = rm.OptDouble("rate_p90_factor").value_or(r->rate_p90_factor);
  r->detect_s = rm.OptDouble("detect_s").value_or(r->detect_s);
  r->relaunch_s = rm.OptDouble("relaunch_s").value_or(r->relaunch_s);
  r->checkpoint_interval_s = rm.OptDouble("checkpoint_interval_s");
}

void ReadStorage(const StrictMap& m, StorageSpec* s) {
  if (!m.Has("storage")) return;
  const StrictMap sm = m.Map("storage", {"write_GBps", "read_GBps", "source"});
  s->write_GBps = sm.OptDouble("write_GBps").value_or(s->write_GBps);
  // A file system that names only its write bandwidth reads at least as fast.
  s->read_GBps = sm.OptDouble("read_GBps").value_or(s->write_GBps);
}

void ReadPower(const StrictMap& m, PowerSpec* p) {
  if (!m.Has("power")) return;
  const StrictMap pm = m.Map("power", {"gpu_idle_fraction", "node_overhead_fraction", "pue",
                                       "grid_kg_per_kWh", "usd_per_kWh", "source"});
  p->gpu_idle_fraction = pm.OptDouble("gpu_idle_fraction").value_or(p->gpu_idle_fraction);
  p->node_overhead_fraction =
      pm.OptDouble("node_overhead_fraction").value_or(p->node_overhead_fraction);
  p->pue = pm.OptDouble("pue").value_or(p->pue);
  p->grid_kg_per_kWh = pm.OptDouble("grid_kg_per_kWh").value_or(p->grid_kg_per_kWh);
  p->usd_per_kWh = pm.OptDouble("usd_per_kWh").value_or(p->usd_per_kWh);
}

std::vector<PricingClass> ReadPricing(const StrictMap& m) {
  std::vector<PricingClass> out;
  if (!m.Has("pricing")) return out;
  if (!m.Value("pricing").IsSequence()) {
    m.Fail("pricing",
           "pricing must be a list of {class, usd_per_gpu_hour, "
           "preemptions_per_node_hour}");
  }
  for (const YAML::Node& n : m.Value("pricing")) {
    const StrictMap p(m.file(), n,
                      {"class", "usd_per_gpu_hour", "preemptions_per_node_hour", "source"},
                      "a pricing class", "pricing[" + std::to_string(out.size()) + "].");
    out.push_back({p.String("class"), p.Double("usd_per_gpu_hour"),
                   p.OptDouble("preemptions_per_node_hour").value_or(0)});
  }
  return out;
}

template <class T>
void EmitIf(YAML::Emitter* out, const char* key, T value, T fallback) {
  if (value != fallback) *out << YAML::Key << key << YAML::Value << value;
}

}  // namespace

const std::vector<std::string>& OperationsKeys() {
  static const std::vector<std::string> keys = {"reliability", "storage", "power", "pricing"};
  return keys;
}

void ReadOperations(const StrictMap& m, ClusterSpec* c) {
  ReadReliability(m, &c->reliability);
  ReadStorage(m, &c->storage);
  ReadPower(m, &c->power);
  c->pricing = ReadPricing(m);
}

void EmitOperations(const ClusterSpec& c, YAML::Emitter* out) {
  const ReliabilitySpec r0, &r = c.reliability;
  if (r.interruptions_per_gpu_hour != r0.interruptions_per_gpu_hour ||
      r.rate_p10_factor != r0.rate_p10_factor || r.rate_p90_factor != r0.rate_p90_factor ||
      r.detect_s != r0.detect_s || r.relaunch_s != r0.relaunch_s || r.checkpoint_interval_s) {
    *out << YAML::Key << "reliability" << YAML::Value << YAML::BeginMap;
    EmitIf(out, "interruptions_per_gpu_hour", r.interruptions_per_gpu_hour,
           r0.interruptions_per_gpu_hour);
    EmitIf(out, "rate_p10_factor", r.rate_p10_factor, r0.rate_p10_factor);
    EmitIf(out, "rate_p90_factor", r.rate_p90_factor, r0.rate_p90_factor);
    EmitIf(out, "detect_s", r.detect_s, r0.detect_s);
    EmitIf(out, "relaunch_s", r.relaunch_s, r0.relaunch_s);
    if (r.checkpoint_interval_s) {
      *out << YAML::Key << "checkpoint_interval_s" << YAML::Value << *r.checkpoint_interval_s;
    }
    *out << YAML::EndMap;
  }
  const StorageSpec s0;
  if (c.storage.write_GBps != s0.write_GBps || c.storage.read_GBps != s0.read_GBps) {
    *out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap << YAML::Key << "write_GBps"
         << YAML::Value << c.storage.write_GBps << YAML::Key << "read_GBps" << YAML::Value
         << c.storage.read_GBps << YAML::EndMap;
  }
  const PowerSpec p0, &p = c.power;
  if (p.gpu_idle_fraction != p0.gpu_idle_fraction ||
      p.node_overhead_fraction != p0.node_overhead_fraction || p.pue != p0.pue ||
      p.grid_kg_per_kWh != p0.grid_kg_per_kWh || p.usd_per_kWh != p0.usd_per_kWh) {
    *out << YAML::Key << "power" << YAML::Value << YAML::BeginMap;
    EmitIf(out, "gpu_idle_fraction", p.gpu_idle_fraction, p0.gpu_idle_fraction);
    EmitIf(out, "node_overhead_fraction", p.node_overhead_fraction, p0.node_overhead_fraction);
    EmitIf(out, "pue", p.pue, p0.pue);
    EmitIf(out, "grid_kg_per_kWh", p.grid_kg_per_kWh, p0.grid_kg_per_kWh);
    EmitIf(out, "usd_per_kWh", p.usd_per_kWh, p0.usd_per_kWh);
    *out << YAML::EndMap;
  }
  if (c.pricing.empty()) return;
  *out << YAML::Key << "pricing" << YAML::Value << YAML::BeginSeq;
  for (const PricingClass& pc : c.pricing) {
    *out << YAML::Flow << YAML::BeginMap << YAML::Key << "class" << YAML::Value << pc.name
         << YAML::Key << "usd_per_gpu_hour" << YAML::Value << pc.usd_per_gpu_hour;
    EmitIf(out, "preemptions_per_node_hour", pc.preemptions_per_node_hour, 0.0);
    *out << YAML::EndMap;
  }
  *out << YAML::EndSeq;
}

}  // namespace planner
