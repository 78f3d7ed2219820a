#include "reports/pipeline_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "reports/fold.hpp"
#include "reports/format.hpp"
#include "reports/metric_columns.hpp"

namespace iddl::reports {
namespace {

using nlohmann::json;

// The done runs of one setting combination.
struct Group {
  const json* config = nullptr;
  std::vector<const StoredRun*> runs;
};

// Done runs grouped by their settings without the seed, in the order of each group's first run.
std::vector<Group> done_groups(const RunSet& set) {
  std::vector<Group> groups;
  std::map<size_t, size_t> index;  // settings index -> group
  for (const StoredRun& run : set.runs) {
    if (run.status != to_string(results::RunStatus::Done)) continue;
    const auto [at, added] = index.emplace(run.settings, groups.size());
    if (added) groups.push_back({&set.settings[run.settings], {}});
    groups[at->second].runs.push_back(&run);
  }
  if (groups.empty()) throw std::invalid_argument("no done run among the selected runs");
  return groups;
}

const json& parallelism(const Group& g) { return (*g.config)["parallelism"]; }
std::string method(const Group& g) { return parallelism(g)["method"].get<std::string>(); }
int64_t ranks(const Group& g) { return (*g.config)["ranks"].get<int64_t>(); }
bool is_pipeline(const Group& g) { return method(g) == "pipeline"; }

int64_t stages(const Group& g) {
  const int64_t asked = parallelism(g).value("stages", int64_t{0});
  return asked == 0 ? ranks(g) : asked;
}

// Whether the pipeline runs seed 004's client/server placement (stored runs before the setting: contiguous).
bool first_and_last(const Group& g) { return parallelism(g).value("placement", "contiguous") == "first_and_last"; }

// The boundaries a micro-batch crosses: one between each two stage groups (first_and_last: three groups).
int64_t boundaries(const Group& g) { return first_and_last(g) ? 2 : stages(g) - 1; }

// The samples of one optimizer step over all ranks: batch_size with batch_scope "global", else batch_size per rank
// for data parallelism, per pipeline.
int64_t global_batch(const Group& g) {
  const int64_t per = (*g.config)["batch_size"].get<int64_t>();
  if (g.config->value("batch_scope", std::string("rank")) == "global") return per;
  return is_pipeline(g) ? per * (ranks(g) / stages(g)) : per * ranks(g);
}

// The values of a runs-column metric over the group's runs (NULLs left out).
std::vector<double> column_values(const Group& g, const char* column) {
  const size_t at = metric_index(*find_metric(column));
  std::vector<double> values;
  for (const StoredRun* run : g.runs)
    if (run->metrics[at].is_number()) values.push_back(run->metrics[at].get<double>());
  return values;
}

// The values of a named metric over the group's runs that have it.
std::vector<double> named_values(const Group& g, const std::string& name) {
  std::vector<double> values;
  for (const StoredRun* run : g.runs)
    if (const auto it = run->named_metrics.find(name); it != run->named_metrics.end()) values.push_back(it->second);
  return values;
}

std::optional<double> mean_of(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  return spread(values).mean;
}

std::string times(double value) { return fmt::format("{:.3g}×", value); }

std::string codec_cell(const Group& g) {
  const json& p = parallelism(g);
  const std::string codec = p["boundary_compression"].get<std::string>();
  const int64_t bits = p["bits"].get<int64_t>();
  // Codes in whole integers (container = "int", seed 004's wire), named; packed codes (stored runs before it) not.
  const std::string container = p.value("container", "packed") == "int" ? (bits <= 8 ? " in int8" : " in int16") : "";
  if (codec == "uniform") return fmt::format("uniform {} bits{}", bits, container);
  if (codec != "sortquant") return "none";
  const int64_t split = p["split_bits"].get<int64_t>() > 0 ? p["split_bits"].get<int64_t>() : std::max<int64_t>(1, bits / 4);
  return fmt::format("sortquant {} bits ({}:{}){}", bits, bits - split, split, container);
}

std::string experiment(const Group& g) {
  if (!is_pipeline(g)) return (method(g) == "sync" ? "data parallel" : method(g)) + "-" + std::to_string(ranks(g));
  std::string name = "pipeline-" + std::to_string(ranks(g));
  if (stages(g) != ranks(g)) name += fmt::format(" ({} stages × {})", stages(g), ranks(g) / stages(g));
  if (first_and_last(g)) name += " first-and-last";
  if (parallelism(g)["schedule"] != "fill_drain") name += " " + parallelism(g)["schedule"].get<std::string>();
  if (parallelism(g)["boundary_compression"] != "none") name += ", " + codec_cell(g);
  return name;
}

std::string batch_cell(const Group& g) {
  std::string cell = std::to_string(global_batch(g));
  if (is_pipeline(g)) cell += fmt::format(" ({} chunks)", parallelism(g)["chunks"].get<int64_t>());
  return cell;
}

// The throughput of the baseline of `g`: the sync group of its dataset and model with the fewest ranks.
std::optional<double> baseline_throughput(const std::vector<Group>& groups, const Group& g) {
  const Group* best = nullptr;
  for (const Group& other : groups) {
    if (method(other) != "sync" || (*other.config)["dataset"] != (*g.config)["dataset"] ||
        (*other.config)["model"] != (*g.config)["model"])
      continue;
    if (!best || ranks(other) < ranks(*best)) best = &other;
  }
  return best ? mean_of(named_values(*best, "samples_per_s")) : std::nullopt;
}

// The largest value over the group's runs of the named metrics starting with `prefix`.
std::optional<double> largest_with_prefix(const Group& g, const std::string& prefix) {
  std::optional<double> largest;
  for (const StoredRun* run : g.runs)
    for (const auto& [name, value] : run->named_metrics)
      if (name.compare(0, prefix.size(), prefix) == 0) largest = std::max(largest.value_or(value), value);
  return largest;
}

// "1: 1.2 GB/s / 800 MB/s; 2: ..." for each boundary, forward then backward bandwidth.
std::string bandwidth_cell(const Group& g) {
  std::vector<std::string> parts;
  for (int64_t k = 1; k <= boundaries(g); ++k) {
    const std::string b = "boundary." + std::to_string(k);
    const auto forward = mean_of(named_values(g, b + ".forward_bandwidth_Bps"));
    const auto backward = mean_of(named_values(g, b + ".backward_bandwidth_Bps"));
    if (!forward && !backward) continue;
    parts.push_back(fmt::format("{}: {} / {}", k, forward ? format_rate(*forward) : "", backward ? format_rate(*backward) : ""));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace

Table throughput_table(const RunSet& set) {
  const std::vector<Group> groups = done_groups(set);
  Table table{{{"experiment"}, {"dataset"}, {"model"}, {"ranks", Align::Right}, {"batch size", Align::Right},
               {"lr", Align::Right}, {"runs", Align::Right}, {"test accuracy", Align::Right},
               {"throughput", Align::Right}, {"speed-up", Align::Right}, {"efficiency (ideal)", Align::Right},
               {"peak activations", Align::Right}},
              {}};
  for (const Group& g : groups) {
    const auto throughput = mean_of(named_values(g, "samples_per_s"));
    const auto baseline = baseline_throughput(groups, g);
    const auto efficiency = mean_of(named_values(g, "pipeline_efficiency"));
    const auto ideal = mean_of(named_values(g, "ideal_efficiency"));
    const auto memory = largest_with_prefix(g, "peak_activation_bytes.");
    table.add_row({experiment(g), (*g.config)["dataset"].get<std::string>(), (*g.config)["model"].get<std::string>(),
                   std::to_string(ranks(g)), batch_cell(g), value_cell((*g.config)["lr"]),
                   std::to_string(g.runs.size()), spread_cell(column_values(g, "test_accuracy"), format_percent),
                   spread_cell(named_values(g, "samples_per_s"), format_per_second),
                   throughput && baseline && *baseline > 0 ? times(*throughput / *baseline) : "",
                   efficiency ? format_percent(*efficiency) + (ideal ? " (" + format_percent(*ideal) + ")" : "") : "",
                   memory ? format_bytes(*memory) : ""});
  }
  return table;
}

Table boundary_table(const RunSet& set) {
  Table table{{{"dataset"}, {"model"}, {"batch size"}, {"compression method"}, {"compression ratio", Align::Right},
               {"runs", Align::Right}, {"test accuracy", Align::Right}, {"bandwidth forward / backward"}},
              {}};
  for (const Group& g : done_groups(set)) {
    if (!is_pipeline(g)) continue;
    const auto ratio = mean_of(named_values(g, "boundary_compression_ratio"));
    table.add_row({(*g.config)["dataset"].get<std::string>(), (*g.config)["model"].get<std::string>(), batch_cell(g),
                   codec_cell(g), ratio ? format_decimal(*ratio) : "", std::to_string(g.runs.size()),
                   spread_cell(column_values(g, "test_accuracy"), format_percent), bandwidth_cell(g)});
  }
  return table;
}

void write_pipeline_report(std::ostream& out, results::Database& db, const Selection& selection) {
  const RunSet set = load_runs(db, selection);
  const std::vector<Group> groups = done_groups(set);
  if (std::none_of(groups.begin(), groups.end(), is_pipeline)) {
    out << "No pipeline runs among the " << with_status(set, results::RunStatus::Done).size()
        << " selected done run(s): this report compares pipeline parallelism with data parallelism; "
           "`iddl-report markdown` shows these runs.\n";
    return;
  }
  const Table throughput = throughput_table(set);
  const Table boundaries = boundary_table(set);
  out << "## Throughput\n\n" << render_markdown(throughput);
  if (!boundaries.rows.empty()) out << "\n## Boundary compression\n\n" << render_markdown(boundaries);
}

}  // namespace iddl::reports
