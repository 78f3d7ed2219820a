#include "reports/plot.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "matrix/closest_name.hpp"
#include "reports/chart_data.hpp"
#include "reports/fold.hpp"
#include "reports/grouping.hpp"
#include "reports/metric_columns.hpp"

namespace iddl::reports {

namespace {

using nlohmann::json;

// The settings the configs of the run set hold, by name, and the parameters of their axis values as
// "axis.parameter" ("parallelism.chunks").
std::vector<std::string> setting_names(const RunSet& set) {
  std::set<std::string> names;
  for (const json& config : set.settings) {
    for (const auto& item : config.items()) {
      names.insert(item.key());
      if (!item.value().is_object()) continue;
      for (const auto& parameter : item.value().items())
        if (parameter.key() != "method") names.insert(item.key() + "." + parameter.key());
    }
  }
  return {names.begin(), names.end()};
}

// The metrics a name can be: runs-column metrics, then the named metrics the runs recorded.
std::vector<std::string> metric_names(const RunSet& set) {
  std::vector<std::string> names;
  for (const Metric& metric : metrics()) names.push_back(metric.column);
  names.insert(names.end(), set.metric_names.begin(), set.metric_names.end());
  return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// "unknown --x 'acuracy' (did you mean 'test_accuracy'?); settings: ...; metrics: ...".
std::string unknown_message(const std::string& option, const std::string& name, const RunSet& set) {
  const std::vector<std::string> settings = setting_names(set);
  std::vector<std::string> all = settings;
  std::vector<std::string> metric_list;  // the metrics that are not settings (those are read as settings)
  for (const std::string& metric : metric_names(set))
    if (!contains(settings, metric)) metric_list.push_back(metric);
  all.insert(all.end(), metric_list.begin(), metric_list.end());
  std::vector<std::string> close = matrix::close_names(name, all);
  if (close.size() > 3) close.resize(3);
  std::string message = fmt::format("unknown {} '{}'", option, name);
  if (!close.empty()) message += fmt::format(" (did you mean '{}'?)", fmt::join(close, "' or '"));
  return message + fmt::format("; settings: {}; metrics: {}", fmt::join(settings, ", "), fmt::join(metric_list, ", "));
}

// What one axis shows.
struct Quantity {
  std::string name;
  std::string option;  // --x or --y
  bool setting = false;
  size_t field = 0;       // the setting's index among the grouping fields
  std::string parameter = {};  // of "axis.parameter": the parameter of the axis setting
};

// A group's value of a quantity: a number, text, or null when it has none.
json value_of(const Quantity& quantity, const Group& group) {
  if (quantity.setting) {
    json value = group.values[quantity.field];
    if (!quantity.parameter.empty()) value = value.is_object() ? value.value(quantity.parameter, json()) : json();
    if (value.is_number() || value.is_null()) return value;
    return setting_value_cell(quantity.name, value);
  }
  const Metric* column = find_metric(quantity.name);
  if (column != nullptr && column->text) {
    const std::string cell = metric_cell(group, *column);
    return cell.empty() ? json() : json(cell);
  }
  const auto mean = group_mean(group, quantity.name);
  return mean ? json(*mean) : json();
}

// The axis of a quantity over its values: numbers (log when asked) or text as categories.
AxisSpec axis_of(const Quantity& quantity, const std::vector<json>& values, bool log) {
  const bool text = std::any_of(values.begin(), values.end(), [](const json& v) { return v.is_string(); });
  if (text) {
    if (log) throw std::invalid_argument(quantity.option + " '" + quantity.name + "' has text values: no log scale");
    AxisSpec axis{quantity.name, Scale::Linear, TickFormat::Number, 0, {}};
    std::set<std::string> names;
    for (const json& v : values)
      if (v.is_string()) names.insert(v.get<std::string>());
    axis.categories.assign(names.begin(), names.end());
    std::sort(axis.categories.begin(), axis.categories.end(), natural_less);
    return axis;
  }
  if (log && std::none_of(values.begin(), values.end(), [](const json& v) { return v.is_number() && v.get<double>() > 0; }))
    throw std::invalid_argument(quantity.option + " '" + quantity.name + "' has no value above 0: no log scale");
  if (!quantity.setting) return metric_axis(quantity.name, log);
  return {quantity.name + (log ? " (log scale)" : ""), log ? Scale::Log : Scale::Linear, TickFormat::Number, 0, {}};
}

// Where a value sits on its axis: the number, or its category's index.
double position(const json& value, const AxisSpec& axis) {
  if (!value.is_string()) return value.get<double>();
  const auto at = std::find(axis.categories.begin(), axis.categories.end(), value.get<std::string>());
  return static_cast<double>(at - axis.categories.begin());
}

std::string value_text(const json& value, const AxisSpec& axis) {
  if (value.is_string()) return value.get<std::string>();
  if (axis.format == TickFormat::Percent) return fmt::format("{:.2f}%", value.get<double>());
  return fmt::format("{:.6g}", value.get<double>());
}

}  // namespace

Panel plot_panel(const RunSet& set, const PlotRequest& request) {
  const std::vector<std::string> settings = setting_names(set);
  const std::vector<std::string> metric_list = metric_names(set);
  std::vector<std::string> extra;  // settings to split the groups by besides the varying ones
  std::vector<Quantity> quantities{{request.x, "--x"}, {request.y, "--y"}};
  for (Quantity& quantity : quantities) {
    quantity.setting = contains(settings, quantity.name);
    if (!quantity.setting && !contains(metric_list, quantity.name))
      throw std::invalid_argument(unknown_message(quantity.option, quantity.name, set));
    if (!quantity.setting) continue;
    const size_t dot = quantity.name.find('.');
    if (dot != std::string::npos) quantity.parameter = quantity.name.substr(dot + 1);
    extra.push_back(quantity.name.substr(0, dot));
  }
  if (request.color) extra.push_back(*request.color);

  const std::vector<const StoredRun*> done = with_status(set, results::RunStatus::Done);
  std::vector<Field> fields = varying_fields(set, done);
  for (const Field& field : resolve_fields(set, extra)) {
    if (std::none_of(fields.begin(), fields.end(), [&](const Field& f) { return f.name == field.name; }))
      fields.push_back(field);
  }
  const auto field_index = [&](const std::string& name) {
    return static_cast<size_t>(std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.name == name; }) -
                               fields.begin());
  };
  for (Quantity& quantity : quantities)
    if (quantity.setting) quantity.field = field_index(quantity.name.substr(0, quantity.name.find('.')));

  // Each group's x, y and series name; groups lacking x or y are left out.
  struct Point {
    json x, y;
    std::string series, title;
  };
  std::vector<Point> points;
  std::vector<std::string> series_order;
  for (const Group& group : group_runs(set, done, fields, false)) {
    Point point{value_of(quantities[0], group), value_of(quantities[1], group), set.sweeps[group.sweep], ""};
    if (point.x.is_null() || point.y.is_null()) continue;
    if (request.color) {
      const size_t at = field_index(*request.color);
      point.series = *request.color + "=" + setting_value_cell(*request.color, group.values[at]);
    }
    const std::string label = group_label(fields, group);
    point.title = fmt::format("{}{}{} run{}", label, label.empty() ? "" : " (", group.runs.size(),
                              group.runs.size() == 1 ? "" : "s") + (label.empty() ? "" : ")");
    if (std::find(series_order.begin(), series_order.end(), point.series) == series_order.end())
      series_order.push_back(point.series);
    points.push_back(std::move(point));
  }
  if (points.empty())
    throw std::invalid_argument("nothing to plot: no selected done run has both '" + request.x + "' and '" + request.y + "'");

  std::vector<json> xs, ys;
  for (const Point& point : points) xs.push_back(point.x), ys.push_back(point.y);
  Panel panel{request.y + " vs " + request.x, axis_of(quantities[0], xs, request.log_x),
              axis_of(quantities[1], ys, request.log_y), {}};
  for (const std::string& name : series_order) {
    std::vector<std::pair<double, double>> at;
    std::vector<std::string> titles;
    for (const Point& point : points) {
      if (point.series != name) continue;
      at.emplace_back(position(point.x, panel.x), position(point.y, panel.y));
      titles.push_back(point.title + ": " + request.x + " " + value_text(point.x, panel.x) + ", " + request.y + " " +
                       value_text(point.y, panel.y));
    }
    std::vector<size_t> order(at.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return at[a].first < at[b].first; });
    Series series{name, {}, Style::Scatter, {}};
    for (const size_t i : order) series.points.push_back(at[i]), series.point_titles.push_back(titles[i]);
    panel.series.push_back(std::move(series));
  }
  const bool numeric_setting_x = quantities[0].setting && panel.x.categories.empty();
  const bool distinct_x = std::all_of(panel.series.begin(), panel.series.end(), [](const Series& s) {
    for (size_t i = 1; i < s.points.size(); ++i)
      if (s.points[i].first == s.points[i - 1].first) return false;
    return true;
  });
  if (numeric_setting_x && distinct_x)
    for (Series& series : panel.series) series.style = Style::Line;
  return panel;
}

std::string plot_svg(results::Database& db, const Selection& selection, const PlotRequest& request) {
  std::vector<std::string> columns;
  if (request.color) columns.push_back(*request.color);
  return render_svg({plot_panel(load_runs(db, selection, columns), request)});
}

}  // namespace iddl::reports
