#include "reports/tradeoff_charts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "reports/chart_data.hpp"
#include "reports/fold.hpp"
#include "reports/format.hpp"
#include "reports/grouping.hpp"
#include "reports/metric_columns.hpp"
#include "results/fields.hpp"

namespace iddl::reports {

namespace {

using nlohmann::json;
namespace field = results::field;

constexpr const char* kThroughput = "samples_per_s";
constexpr double kLogSpan = 10;  // a count axis spanning this factor or more is drawn on a log scale

// The done runs folded by the settings that vary among them, with each group's label.
struct Folded {
  const RunSet* set;
  std::vector<Field> fields;
  std::vector<Group> groups;
  std::vector<std::string> labels;
  std::vector<std::optional<double>> throughput;  // each group's mean samples_per_s

  bool varies(std::initializer_list<const char*> names) const {
    return std::any_of(fields.begin(), fields.end(), [&](const Field& f) {
      return std::find(names.begin(), names.end(), f.name) != names.end();
    });
  }
  const json& config(const Group& group) const { return set->settings[group.runs.front()->settings]; }
  const std::optional<double>& rate(const Group& group) const {
    return throughput[static_cast<size_t>(&group - groups.data())];
  }
};

Folded fold_done(const RunSet& set) {
  Folded folded{&set, {}, {}, {}, {}};
  const std::vector<const StoredRun*> done = with_status(set, results::RunStatus::Done);
  folded.fields = varying_fields(set, done);
  folded.groups = group_runs(set, done, folded.fields, false);
  for (const Group& group : folded.groups) {
    const std::string label = group_label(folded.fields, group);
    folded.labels.push_back(label.empty() ? set.sweeps[group.sweep] : label);
    folded.throughput.push_back(group_mean(group, kThroughput));
  }
  return folded;
}

// A drawn value of a metric as text: fractions were drawn in percent.
std::string value_text(const std::string& metric, double drawn) {
  const Metric* column = find_metric(metric);
  const Metric named = column != nullptr ? *column : named_metric(metric);
  return named.fraction ? fmt::format("{:.2f}%", drawn) : named.format(drawn);
}

std::string runs_text(const Group& group) {
  return group.runs.size() == 1 ? "1 run" : std::to_string(group.runs.size()) + " runs";
}

// Whether values span kLogSpan or more (all above 0).
bool wide(const std::vector<double>& values) {
  if (values.empty()) return false;
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  return *low > 0 && *high / *low >= kLogSpan;
}

// Test accuracy against a metric, one scatter series per setting combination; log x when forced or wide.
std::optional<Panel> accuracy_against(const Folded& folded, const std::string& metric, const std::string& title,
                                      bool log) {
  Panel panel{title, {}, metric_axis(field::test_accuracy, false), {}};
  std::vector<double> xs;
  for (size_t i = 0; i < folded.groups.size(); ++i) {
    const auto x = group_mean(folded.groups[i], metric);
    const auto y = group_mean(folded.groups[i], field::test_accuracy);
    if (!x || !y) continue;
    xs.push_back(*x);
    panel.series.push_back({folded.labels[i], {{*x, *y}}, Style::Scatter,
                            {fmt::format("{} ({}): {} {}, test accuracy {:.2f}%", folded.labels[i],
                                         runs_text(folded.groups[i]), metric_axis(metric, false).label,
                                         value_text(metric, *x), *y)}});
  }
  if (panel.series.empty()) return std::nullopt;
  panel.x = metric_axis(metric, log || wide(xs));
  return panel;
}

// A setting the throughput charts put on x: its name and its value in a config (nullopt: not drawn).
struct XSetting {
  std::string name;
  std::string parameter;  // the parallelism parameter it is ("" for ranks)
  std::function<std::optional<double>(const json& config)> value;
};

const json& parallelism_of(const json& config) {
  static const json none = json::object();
  const auto found = config.find("parallelism");
  return found != config.end() ? *found : none;
}
bool is_pipeline(const json& config) { return parallelism_of(config).value("method", "") == "pipeline"; }
double ranks_of(const json& config) { return config.value("ranks", 1.0); }
double stages_of(const json& config) {
  const double asked = parallelism_of(config).value("stages", 0.0);
  return asked == 0 ? ranks_of(config) : asked;
}
double chunks_of(const json& config) { return parallelism_of(config).value("chunks", 1.0); }

const std::vector<XSetting>& x_settings() {
  static const std::vector<XSetting> all = {
      {"ranks", "", [](const json& c) { return std::optional<double>(ranks_of(c)); }},
      {"chunks", "chunks",
       [](const json& c) { return is_pipeline(c) ? std::optional<double>(chunks_of(c)) : std::nullopt; }},
      {"stages", "stages",
       [](const json& c) { return is_pipeline(c) ? std::optional<double>(stages_of(c)) : std::nullopt; }},
  };
  return all;
}

// The label of a group's line on an x setting's chart: its varying settings but the x one. Against
// ranks, a single process is data parallelism ("sync") on one rank: on the same line.
std::string line_label(const Folded& folded, const Group& group, const XSetting& x) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < folded.fields.size(); ++i) {
    const std::string& name = folded.fields[i].name;
    if (name == x.name) continue;
    json value = group.values[i];
    if (name == "parallelism" && !x.parameter.empty() && value.is_object()) value.erase(x.parameter);
    if (name == "parallelism" && x.name == "ranks" && value.is_object() && value.value("method", "") == "single")
      value = {{"method", "sync"}};
    parts.push_back(name + "=" + setting_value_cell(name, value));
  }
  std::string label;
  for (const std::string& part : parts) label += (label.empty() ? "" : ", ") + part;
  return label.empty() ? folded.set->sweeps[group.sweep] : label;
}

// The part of a group's settings a speed-up keeps: every varying setting but parallelism and ranks.
std::string alike_key(const Folded& folded, const Group& group) {
  std::string key;
  for (size_t i = 0; i < folded.fields.size(); ++i) {
    const std::string& name = folded.fields[i].name;
    if (name != "parallelism" && name != "ranks") key += group.values[i].dump() + '\x1f';
  }
  return key;
}

// The group each group's speed-up is over (nullptr: none): of the groups with its alike_key, not a
// pipeline, the one with the fewest ranks that recorded a throughput.
std::vector<const Group*> baselines(const Folded& folded) {
  std::map<std::string, const Group*> best;
  std::vector<std::string> keys;
  for (const Group& group : folded.groups) {
    keys.push_back(alike_key(folded, group));
    const json& config = folded.config(group);
    if (is_pipeline(config) || !folded.rate(group)) continue;
    const Group*& known = best[keys.back()];
    if (known == nullptr || ranks_of(config) < ranks_of(folded.config(*known))) known = &group;
  }
  std::vector<const Group*> chosen;
  for (const std::string& key : keys) chosen.push_back(best.count(key) ? best[key] : nullptr);
  return chosen;
}

// The ideal speed-up of a group over its baseline: linear in ranks for data parallelism,
// ranks·M/(M+K−1) for a pipeline of K stages and M chunks.
double ideal_speedup(const json& config, const json& baseline) {
  const double ranks = ranks_of(config) / ranks_of(baseline);
  if (!is_pipeline(config)) return ranks;
  const double m = chunks_of(config);
  return ranks * m / (m + stages_of(config) - 1);
}

// A point of a throughput chart line.
struct LinePoint {
  double x, y;
  std::string title;
};

Series line_of(const std::string& label, std::vector<LinePoint> points, Style style) {
  std::sort(points.begin(), points.end(), [](const LinePoint& a, const LinePoint& b) { return a.x < b.x; });
  Series series{label, {}, style, {}};
  for (const LinePoint& point : points) {
    series.points.emplace_back(point.x, point.y);
    series.point_titles.push_back(point.title);
  }
  return series;
}

// Throughput, and speed-up with its ideal, against one x setting; none when it takes fewer than 2 values.
std::vector<Panel> throughput_against(const Folded& folded, const XSetting& x) {
  std::map<std::string, std::vector<LinePoint>> throughput, speedup, ideal;
  std::vector<std::string> order;
  std::set<double> xs;
  const std::vector<const Group*> base_of = baselines(folded);
  bool compared = false;  // some point's baseline is another group
  for (size_t i = 0; i < folded.groups.size(); ++i) {
    const Group& group = folded.groups[i];
    const json& config = folded.config(group);
    const auto at = x.value(config);
    const auto& samples = folded.rate(group);
    if (!at || !samples) continue;
    xs.insert(*at);
    const std::string label = line_label(folded, group, x);
    if (!throughput.count(label)) order.push_back(label);
    const std::string head = fmt::format("{} ({}): {} {}", folded.labels[i], runs_text(group), x.name, *at);
    throughput[label].push_back({*at, *samples, fmt::format("{}, {}", head, format_per_second(*samples))});
    const Group* base = base_of[i];
    if (base == nullptr) continue;
    compared = compared || base != &group;
    const double value = *samples / *folded.rate(*base);
    speedup[label].push_back({*at, value, fmt::format("{}, speed-up {:.3g}×", head, value)});
    const double best = ideal_speedup(config, folded.config(*base));
    ideal[is_pipeline(config) ? "ideal M/(M+K−1): " + label : "ideal (linear)"].push_back(
        {*at, best, fmt::format("ideal {:.3g}×", best)});
  }
  if (xs.size() < 2) return {};
  const AxisSpec x_axis{x.name, Scale::Linear, TickFormat::Number, 1, {}};
  Panel rate{"Throughput vs " + x.name, x_axis, {"throughput (samples/s)", Scale::Linear, TickFormat::Count, 0, {}}, {}};
  for (const std::string& label : order) rate.series.push_back(line_of(label, throughput[label], Style::Line));
  std::vector<Panel> panels{rate};
  if (!compared) return panels;
  Panel gain{"Speed-up vs " + x.name, x_axis, {"speed-up (×)", Scale::Linear, TickFormat::Number, 0, {}}, {}};
  for (const std::string& label : order)
    if (speedup.count(label)) gain.series.push_back(line_of(label, speedup[label], Style::Line));
  for (auto& [label, points] : ideal) {
    std::sort(points.begin(), points.end(), [](const LinePoint& a, const LinePoint& b) { return a.x < b.x; });
    points.erase(std::unique(points.begin(), points.end(), [](const LinePoint& a, const LinePoint& b) { return a.x == b.x; }),
                 points.end());
    if (points.size() >= 2) gain.series.push_back(line_of(label, points, Style::Reference));
  }
  panels.push_back(gain);
  return panels;
}

// The exit indices of the early-exit metrics the runs recorded, ascending.
std::vector<int> exit_indices(const RunSet& set) {
  const std::string prefix = "exit_accuracy.";
  std::set<int> exits;
  for (const std::string& name : set.metric_names)
    if (name.rfind(prefix, 0) == 0) exits.insert(std::stoi(name.substr(prefix.size())));
  return {exits.begin(), exits.end()};
}

// Per-exit accuracy against the exit's FLOPs, and the fraction of samples leaving at each exit.
std::vector<Panel> early_exit_panels(const Folded& folded) {
  const std::vector<int> exits = exit_indices(*folded.set);
  if (exits.empty()) return {};
  Panel accuracy{"Per-exit accuracy vs FLOPs", {}, {"exit accuracy (%)", Scale::Linear, TickFormat::Percent, 0, {}}, {}};
  Panel fraction{"Exit fraction per exit", {"exit", Scale::Linear, TickFormat::Number, 1, {}},
                 {"samples leaving at the exit (%)", Scale::Linear, TickFormat::Percent, 0, {}}, {}};
  std::vector<double> flops;
  for (size_t i = 0; i < folded.groups.size(); ++i) {
    const Group& group = folded.groups[i];
    std::vector<LinePoint> by_flops, by_exit;
    for (const int k : exits) {
      const std::string n = std::to_string(k);
      const auto acc = group_mean(group, "exit_accuracy." + n);
      const auto frac = group_mean(group, "exit_fraction." + n);
      const auto cost = group_mean(group, "exit_flops." + n);
      const std::string title =
          fmt::format("{} ({}), exit {}: accuracy {}, leaving {}, FLOPs {}", folded.labels[i], runs_text(group), k,
                      acc ? fmt::format("{:.2f}%", *acc) : "?", frac ? fmt::format("{:.2f}%", *frac) : "?",
                      cost ? format_count(*cost) : "?");
      if (acc && cost) by_flops.push_back({*cost, *acc, title}), flops.push_back(*cost);
      if (frac) by_exit.push_back({double(k), *frac, title});
    }
    if (!by_flops.empty()) accuracy.series.push_back(line_of(folded.labels[i], by_flops, Style::Line));
    if (!by_exit.empty()) fraction.series.push_back(line_of(folded.labels[i], by_exit, Style::Line));
  }
  accuracy.x = {wide(flops) ? "FLOPs per sample to the exit (log scale)" : "FLOPs per sample to the exit",
                wide(flops) ? Scale::Log : Scale::Linear, TickFormat::Count, 0, {}};
  std::vector<Panel> panels;
  if (!accuracy.series.empty()) panels.push_back(accuracy);
  if (!fraction.series.empty()) panels.push_back(fraction);
  return panels;
}

// The title in lower case, each run of other characters than letters and digits as one '-'.
std::string slug_of(const std::string& title) {
  std::string slug;
  for (const char c : title) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      slug += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

}  // namespace

std::vector<Panel> tradeoff_panels(const RunSet& set) {
  const Folded folded = fold_done(set);
  if (folded.groups.empty()) return {};
  std::vector<Panel> panels;
  const auto add = [&](std::optional<Panel> panel) {
    if (panel) panels.push_back(std::move(*panel));
  };
  if (folded.varies({"compression", "parallelism"}))
    add(accuracy_against(folded, field::bytes_sent, "Test accuracy vs bytes sent", true));
  if (folded.varies({"sparsification", "vertical", "model"})) {
    add(accuracy_against(folded, field::params, "Test accuracy vs parameters", false));
    add(accuracy_against(folded, field::flops, "Test accuracy vs FLOPs", false));
  }
  if (folded.varies({"parallelism", "ranks"})) {
    for (const XSetting& x : x_settings()) {
      if (x.name == "stages" && std::none_of(folded.groups.begin(), folded.groups.end(), [&](const Group& g) {
            return is_pipeline(folded.config(g)) && stages_of(folded.config(g)) != ranks_of(folded.config(g));
          }))
        continue;  // stages follow ranks: the ranks chart shows them
      for (Panel& panel : throughput_against(folded, x)) panels.push_back(std::move(panel));
    }
  }
  for (Panel& panel : early_exit_panels(folded)) panels.push_back(std::move(panel));
  return panels;
}

std::vector<Chart> tradeoff_charts(results::Database& db, const std::string& sweep) {
  std::vector<Chart> charts;
  for (const Panel& panel : tradeoff_panels(load_runs(db, {sweep, std::nullopt})))
    charts.push_back({panel.title, slug_of(panel.title), render_svg({panel})});
  return charts;
}

}  // namespace iddl::reports
