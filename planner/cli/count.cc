// planner count MODEL: exact parameter count, per component.
#include <iostream>
#include <nlohmann/json.hpp>

#include "planner/cli/command.h"
#include "planner/core/params.h"
#include "planner/core/units.h"
#include "planner/io/emit.h"
#include "planner/io/format.h"
#include "planner/io/model_io.h"

namespace planner {
namespace {

Table CountTable(const ModelSpec& spec, const ParamCount& p) {
  Table t;
  t.title = spec.name + ": " + Grouped(p.total) + " parameters (" +
            HumanCount(static_cast<double>(p.total)) + ")";
  // Keys as in the JSON's breakdown[].
  t.columns = {{"component", false, "name"}, {"group", false}, {"per layer", true, "per_layer"},
               {"total"}, {"share"}};
  const auto share = [&](Count c) { return PercentCell(Share(c, p.total)); };
  for (const ParamEntry& e : p.entries) {
    t.AddRow({e.name, ToString(e.group), e.per_layer ? GroupedCell(e.per_layer) : Cell(),
              GroupedCell(e.total), share(e.total)});
  }
  t.AddRule();
  t.AddRow({"total", "", GroupedCell(p.per_layer), GroupedCell(p.total), PercentCell(1.0)});
  t.AddRow({"embedding (vocab + position tables)", "", "", GroupedCell(p.embedding),
            share(p.embedding)});
  t.AddRow({"non-embedding (Kaplan N)", "", "", GroupedCell(p.non_embedding),
            share(p.non_embedding)});
  if (spec.is_moe()) {
    t.AddRow({"active per token (top-" + std::to_string(spec.moe.top_k) + " of " +
                  std::to_string(spec.moe.n_experts) + " experts)",
              "", "", GroupedCell(p.active), share(p.active)});
    if (p.active_without_input_embedding != p.active) {
      t.AddRow({"active without the input embedding", "", "",
                GroupedCell(p.active_without_input_embedding),
                share(p.active_without_input_embedding)});
    }
  }
  if (spec.mtp_modules > 0) {
    // Counted apart from the main model (DeepSeek-V3 reports them so); embedding and head shared.
    t.AddRule();
    for (const ParamEntry& e : p.mtp_entries) {
      t.AddRow({e.name, ToString(e.group), e.per_layer ? GroupedCell(e.per_layer) : Cell(),
                GroupedCell(e.total), ""});
    }
    const std::string modules = std::to_string(spec.mtp_modules) +
                                (spec.mtp_shared_weights ? " depths of one shared block" : "");
    t.AddRow({"MTP modules (" + modules + ", not in total)", "", "", GroupedCell(p.mtp), ""});
    t.AddRow({"MTP active per token (shared head included)", "", "", GroupedCell(p.mtp_active),
              ""});
  }
  const double n = static_cast<double>(p.total);
  t.notes.push_back("weights: fp32 " + Fixed(BytesToGiB(4 * n), 2) + " GiB (" +
                    Fixed(BytesToGB(4 * n), 2) + " GB), bf16 " + Fixed(BytesToGiB(2 * n), 2) +
                    " GiB (" + Fixed(BytesToGB(2 * n), 2) + " GB)");
  return t;
}

nlohmann::ordered_json CountJsonReport(const ModelSpec& spec, const ParamCount& p) {
  nlohmann::ordered_json breakdown = nlohmann::ordered_json::array();
  for (const ParamEntry& e : p.entries) {
    breakdown.push_back({{"name", e.name},
                         {"group", ToString(e.group)},
                         {"per_layer", CountJson(e.per_layer)},
                         {"total", CountJson(e.total)},
                         {"share", Share(e.total, p.total)},
                         {"layers", e.layers},
                         {"embedding", e.embedding}});
  }
  const double n = static_cast<double>(p.total);
  return {{"schema_version", 1},
          {"model", spec.name},
          {"total_params", CountJson(p.total)},
          {"non_embedding_params", CountJson(p.non_embedding)},
          {"embedding_params", CountJson(p.embedding)},
          {"active_params", CountJson(p.active)},
          {"active_params_without_input_embedding", CountJson(p.active_without_input_embedding)},
          {"mtp_params", CountJson(p.mtp)},
          {"mtp_active_params", CountJson(p.mtp_active)},
          {"per_layer_params", CountJson(p.per_layer)},
          {"n_layers", spec.n_layers},
          {"breakdown", breakdown},
          {"weights_GiB", {{"fp32", BytesToGiB(4 * n)}, {"bf16", BytesToGiB(2 * n)}}}};
}

}  // namespace

int RunCount(const std::vector<std::string>& args) {
  po::options_description options("planner count options");
  AddFormatOption(&options);
  po::variables_map vm;
  const std::optional<OutputFormat> format =
      ParseFormattedCommandLine("count",
                                "MODEL [--format table|json|csv]\n\n"
                                "MODEL is a model YAML file or a preset name (planner presets).",
                                options, {"model"}, args, &vm);
  if (!format) return 0;
  const ModelSpec spec = LoadModel(vm["model"].as<std::string>());
  const ParamCount p = CountParams(spec);
  Emit(*format, {[&] { return CountJsonReport(spec, p); }, [&] { return CountTable(spec, p); },
                 [&](std::ostream& out) { RenderText(CountTable(spec, p), out); }});
  return 0;
}

}  // namespace planner
