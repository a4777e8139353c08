// planner flops MODEL: per-matmul FLOPs, backward and recompute, and the published accountings.
#include "planner/core/flops.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "planner/cli/command.h"
#include "planner/core/limits.h"
#include "planner/io/emit.h"
#include "planner/io/format.h"
#include "planner/io/model_io.h"

namespace planner {
namespace {

Table MatmulTable(const ModelSpec& s, const FlopsOptions& o, const FlopsReport& r) {
  Table t;
  t.title = s.name + ": forward FLOPs, T = " + Grouped(o.seq_len) + ", batch " +
            Grouped(o.batch) + (o.causal ? ", causal" : ", full (non-causal) attention");
  // Keys as in the JSON's matmuls[].
  t.columns = {{"matmul", false, "name"}, {"shape per sequence", false, "shape"}, {"count"},
               {"per layer (FLOPs)", true, "per_layer_flops"},
               {"total (FLOPs)", true, "total_flops"}, {"share"}};
  const auto count = [](int64_t v) { return Cell(std::to_string(v), static_cast<double>(v)); };
  for (const MatmulFlops& m : r.matmuls) {
    if (m.mtp) continue;
    t.AddRow({m.name, m.shape, count(m.count), m.per_layer ? GroupedCell(m.per_layer) : Cell(),
              GroupedCell(m.total), PercentCell(Share(m.total, r.forward))});
  }
  if (r.mtp_forward > 0) {
    // Multi-token prediction runs in training too, but apart from the main model's forward.
    t.AddRule();
    for (const MatmulFlops& m : r.matmuls) {
      if (!m.mtp) continue;
      t.AddRow({m.name, m.shape, count(m.count), m.per_layer ? GroupedCell(m.per_layer) : Cell(),
                GroupedCell(m.total), ""});
    }
    t.AddRow({"MTP modules forward (not in forward)", "", "", "", GroupedCell(r.mtp_forward), ""});
  }
  t.AddRule();
  t.AddRow({"forward", "", "", GroupedCell(r.forward_per_layer), GroupedCell(r.forward),
            PercentCell(1)});
  t.AddRow({"backward (2x forward)", "", "", "", GroupedCell(r.backward), ""});
  t.AddRow({std::string("recompute (") + ToString(o.recompute) + ")", "", "", "",
            GroupedCell(r.recompute), ""});
  t.AddRow({"training step, model FLOPs (MFU)", "", "", "", GroupedCell(r.model_step), ""});
  t.AddRow({"training step, hardware FLOPs (HFU)", "", "", "", GroupedCell(r.hardware_step), ""});
  t.notes = {
      "attention core (QK^T and AV) share of forward: " + Percent(r.attention_share),
      "6*N*D = " + Grouped(r.six_nd) + " (N = all parameters, D = " + Grouped(r.tokens) +
          " tokens); exact / 6ND = " + Fixed(r.exact_over_6nd, 4),
  };
  if (s.is_moe()) {
    t.notes.push_back("6*N_active*D = " + Grouped(r.six_nd_active) +
                      " (N_active = parameters a token touches); exact / 6 N_active D = " +
                      Fixed(r.exact_over_6nd_active, 4));
  }
  t.notes.push_back(
      "MFU counts model FLOPs (forward + backward, no recompute); HFU adds recomputed work.");
  return t;
}

Table AccountingTable(const ModelSpec& s, const FlopsOptions& o, Accounting chosen) {
  Table t;
  t.title = "\nTraining-step FLOPs under each published accounting (chosen: " +
            std::string(ToString(chosen)) + ")";
  t.columns = {{"accounting", false}, {"step FLOPs"}, {"/ exact"}, {"recompute", false},
               {"formula", false}};
  const double exact = AccountFlops(s, o, Accounting::kExact).step_flops;
  for (const auto& [a, name] : kAccountingNames) {
    const AccountingResult r = AccountFlops(s, o, a);
    t.AddRow({std::string(a == chosen ? "* " : "  ") + name, Sci(r.step_flops, 4),
              Fixed(r.step_flops / exact, 4), r.counts_recompute ? "counted" : "no", Describe(a)});
  }
  return t;
}

nlohmann::ordered_json FlopsJson(const ModelSpec& s, const FlopsOptions& o, const FlopsReport& r,
                         Accounting chosen) {
  nlohmann::ordered_json matmuls = nlohmann::ordered_json::array();
  for (const MatmulFlops& m : r.matmuls) {
    matmuls.push_back({{"name", m.name}, {"shape", m.shape}, {"count", m.count},
                       {"per_layer_flops", CountJson(m.per_layer)},
                       {"total_flops", CountJson(m.total)},
                       {"share", Share(m.total, r.forward)},
                       {"attention_core", m.attention_core}, {"layers", m.layers},
                       {"mtp", m.mtp}});
  }
  nlohmann::ordered_json accountings = nlohmann::ordered_json::object();
  for (const auto& [a, name] : kAccountingNames) {
    const AccountingResult ar = AccountFlops(s, o, a);
    accountings[name] = {{"step_flops", ar.step_flops}, {"counts_recompute", ar.counts_recompute}};
  }
  return {{"schema_version", 1}, {"model", s.name}, {"seq_len", o.seq_len}, {"batch", o.batch},
          {"causal", o.causal}, {"recompute", ToString(o.recompute)},
          {"tokens", CountJson(r.tokens)}, {"matmuls", matmuls},
          {"forward_flops", CountJson(r.forward)}, {"backward_flops", CountJson(r.backward)},
          {"recompute_flops", CountJson(r.recompute)},
          {"model_step_flops", CountJson(r.model_step)},
          {"hardware_step_flops", CountJson(r.hardware_step)},
          {"attention_share", r.attention_share}, {"six_nd_flops", CountJson(r.six_nd)},
          {"exact_over_6nd", r.exact_over_6nd},
          {"six_nd_active_flops", CountJson(r.six_nd_active)},
          {"exact_over_6nd_active", r.exact_over_6nd_active},
          {"mtp_forward_flops", CountJson(r.mtp_forward)}, {"accounting", ToString(chosen)},
          {"accounting_step_flops", AccountFlops(s, o, chosen).step_flops},
          {"accountings", accountings}};
}

}  // namespace

int RunFlops(const std::vector<std::string>& args) {
  po::options_description options("planner flops options");
  options.add_options()
      ("seq", po::value<int64_t>(), "sequence length T in tokens (default: the model's seq_len)")
      ("batch", po::value<int64_t>()->default_value(1), "sequences per step")
      ("causal", po::bool_switch(), "count only the unmasked half of QK^T and AV")
      ("recompute", po::value<std::string>()->default_value("none"),
       "activation recomputation: none, selective (attention core) or full (whole layers)")
      ("accounting", po::value<std::string>()->default_value("exact"),
       "headline convention: exact, 6nd, megatron, korthikanti, megatron-core or palm");
  AddFormatOption(&options);
  po::variables_map vm;
  const std::optional<OutputFormat> format =
      ParseFormattedCommandLine("flops",
                                "MODEL [--seq T] [--batch B] [--causal] [--recompute R] "
                                "[--accounting A] [--format F]",
                                options, {"model"}, args, &vm);
  if (!format) return 0;
  const Recompute recompute = EnumFlag(vm, "recompute", Choices(kRecomputeNames));
  const Accounting accounting = EnumFlag(vm, "accounting", Choices(kAccountingNames));
  const int64_t batch = PositiveFlag(vm, "batch", kMaxDimension);
  const ModelSpec spec = LoadModel(vm["model"].as<std::string>());
  FlopsOptions o{spec.seq_len, batch, vm["causal"].as<bool>(), recompute};
  if (vm.count("seq")) o.seq_len = PositiveFlag(vm, "seq", kMaxDimension);
  const FlopsReport r = ComputeFlops(spec, o);
  Emit(*format,
       {[&] { return FlopsJson(spec, o, r, accounting); }, [&] { return MatmulTable(spec, o, r); },
        [&](std::ostream& out) {
          RenderText(MatmulTable(spec, o, r), out);
          RenderText(AccountingTable(spec, o, accounting), out);
        }});
  return 0;
}

}  // namespace planner
