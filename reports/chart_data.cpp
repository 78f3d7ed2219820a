#include "reports/chart_data.hpp"

#include "reports/fold.hpp"
#include "reports/metric_columns.hpp"
#include "results/fields.hpp"

namespace iddl::reports {

namespace {

// The unit of a runs-column metric or a named metric.
results::Unit unit_of(const std::string& metric) {
  if (const results::EventField* field = results::find_event_field(metric)) return field->unit;
  return results::named_metric_unit(metric);
}

}  // namespace

std::string group_label(const std::vector<Field>& fields, const Group& group) {
  std::string label;
  for (size_t i = 0; i < fields.size(); ++i) {
    label += (label.empty() ? "" : ", ") + fields[i].name + "=" + setting_value_cell(fields[i].name, group.values[i]);
  }
  return label;
}

std::optional<double> group_mean(const Group& group, const std::string& metric) {
  const Metric* column = find_metric(metric);
  std::vector<double> values;
  for (const StoredRun* run : group.runs) {
    if (column != nullptr) {
      const nlohmann::json& value = run->metrics[metric_index(*column)];
      if (value.is_number()) values.push_back(value.get<double>());
    } else if (const auto it = run->named_metrics.find(metric); it != run->named_metrics.end()) {
      values.push_back(it->second);
    }
  }
  if (values.empty()) return std::nullopt;
  return spread(values).mean * (unit_of(metric) == results::Unit::Fraction ? 100 : 1);
}

AxisSpec metric_axis(const std::string& metric, bool log) {
  const Metric* column = find_metric(metric);
  AxisSpec axis{column != nullptr ? column->header : metric, log ? Scale::Log : Scale::Linear, TickFormat::Number, 0, {}};
  std::string unit;
  switch (unit_of(metric)) {
    case results::Unit::Fraction: axis.format = TickFormat::Percent, unit = "%"; break;
    case results::Unit::Count: axis.format = TickFormat::Count; break;
    case results::Unit::Bytes: axis.format = TickFormat::Bytes, unit = "bytes"; break;
    case results::Unit::Seconds: axis.format = TickFormat::Seconds, unit = "s"; break;
    case results::Unit::Milliseconds: unit = "ms"; break;
    case results::Unit::BytesPerSecond: axis.format = TickFormat::Count, unit = "B/s"; break;
    case results::Unit::PerSecond: axis.format = TickFormat::Count, unit = "/s"; break;
    default: break;
  }
  if (!unit.empty() || log) axis.label += " (" + unit + (unit.empty() || !log ? "" : ", ") + (log ? "log scale" : "") + ")";
  return axis;
}

}  // namespace iddl::reports
