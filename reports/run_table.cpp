#include "reports/run_table.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "reports/fold.hpp"
#include "reports/grouping.hpp"
#include "reports/format.hpp"
#include "reports/names.hpp"
#include "results/fields.hpp"

namespace iddl::reports {

namespace {

const char* const kSweepColumn = "sweep";
const char* const kRunsColumn = "runs";
const char* const kRunColumn = "run";

// The grouping fields a reader sees: all of them, except that the planned epochs are left to the
// epochs metric column when the table shows it and nobody asked to group by epochs.
std::vector<size_t> shown_fields(const std::vector<Field>& fields, const TableLayout& layout,
                                 const std::vector<Metric>& metrics) {
  const bool epochs_metric =
      std::any_of(metrics.begin(), metrics.end(),
                  [](const Metric& metric) { return metric.column == results::field::epochs; });
  std::vector<size_t> shown;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (layout.group_by.empty() && epochs_metric && fields[i].name == results::field::epochs) continue;
    shown.push_back(i);
  }
  return shown;
}

// The value a group sorts by for the column; throws naming an unknown column.
class SortKey {
 public:
  SortKey(const RunSet& set, const std::vector<Field>& fields, const std::string& column, bool sweep_column)
      : set_(set), column_(column) {
    const auto found = std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.name == column; });
    if (found != fields.end()) {  // a grouping setting sorts by its value, before a metric of the same name
      field_ = static_cast<size_t>(found - fields.begin());
      return;
    }
    metric_ = sort_metric(set, column);
    if (metric_ || column == kRunsColumn || (sweep_column && column == kSweepColumn)) return;
    throw std::invalid_argument(unknown_name_message("sort column", column, candidates(set, fields, sweep_column)));
  }

  nlohmann::json operator()(const Group& group) const {
    if (field_) return group.values[*field_];
    if (metric_ && metric_->text) {
      const std::string cell = metric_cell(group, *metric_);
      return cell.empty() ? nlohmann::json() : nlohmann::json(cell);
    }
    if (metric_) {
      const std::vector<double> values = metric_values(group, *metric_);
      return values.empty() ? nlohmann::json() : nlohmann::json(spread(values).mean);
    }
    if (column_ == kRunsColumn) return group.runs.size();
    return set_.sweeps[group.sweep];
  }

 private:
  // The metric of a sort column: a metric with a runs column or a named metric of the run set.
  static std::optional<Metric> sort_metric(const RunSet& set, const std::string& column) {
    if (const Metric* metric = find_metric(column)) return *metric;
    if (std::find(set.metric_names.begin(), set.metric_names.end(), column) != set.metric_names.end())
      return named_metric(column);
    return std::nullopt;
  }

  static std::vector<std::string> candidates(const RunSet& set, const std::vector<Field>& fields, bool sweep_column) {
    std::vector<std::string> names;
    if (sweep_column) names.push_back(kSweepColumn);
    for (const Field& field : fields) names.push_back(field.name);
    names.push_back(kRunsColumn);
    for (const Metric& metric : metrics()) names.push_back(metric.column);
    names.insert(names.end(), set.metric_names.begin(), set.metric_names.end());
    return names;
  }

  const RunSet& set_;
  std::string column_;
  std::optional<Metric> metric_;
  std::optional<size_t> field_;  // index into the grouping fields
};

void sort_groups(std::vector<Group>& groups, const SortKey& key, bool descending) {
  std::vector<std::pair<nlohmann::json, Group>> keyed;
  for (Group& group : groups) keyed.emplace_back(key(group), std::move(group));
  std::stable_sort(keyed.begin(), keyed.end(),
                   [&](const auto& a, const auto& b) { return sorts_before(a.first, b.first, descending); });
  for (size_t i = 0; i < groups.size(); ++i) groups[i] = std::move(keyed[i].second);
}

}  // namespace

std::vector<Metric> layout_metrics(const RunSet& set, const TableLayout& layout) {
  return layout.columns ? parse_metric_list(*layout.columns, set.metric_names) : default_metrics();
}

std::vector<std::string> layout_metric_columns(const TableLayout& layout) {
  std::vector<std::string> names;
  if (layout.columns) {
    for (const std::string& name : split_names(*layout.columns))
      if (find_metric(name)) names.push_back(name);
  } else {
    for (const Metric& metric : default_metrics()) names.push_back(metric.column);
  }
  if (layout.sort && find_metric(layout.sort->column)) names.push_back(layout.sort->column);
  if (layout.baseline) {
    for (const std::string& name : baseline_metric_columns()) names.push_back(name);
  }
  return names;
}

namespace {

// The group's run keys, in stored order, joined by ", ".
std::string run_keys(const Group& group) {
  std::string keys;
  for (const StoredRun* run : group.runs) keys += (keys.empty() ? "" : ", ") + run->key;
  return keys;
}

// The group's cells of a metric: mean ± std, or (numeric) the raw mean and, for a number metric, its std.
void add_metric_cells(std::vector<std::string>& cells, const Group& group, const Metric& metric, bool numeric) {
  if (!numeric || metric.text) {
    cells.push_back(metric_cell(group, metric));
    return;
  }
  const std::vector<double> values = metric_values(group, metric);
  const Spread folded = spread(values);
  cells.push_back(values.empty() ? "" : format_raw(folded.mean));
  cells.push_back(values.size() < 2 ? "" : format_raw(folded.std));
}

}  // namespace

Table folded_table(const RunSet& set, const std::vector<const StoredRun*>& runs, const TableLayout& layout,
                   const BaselineRuns* baseline) {
  const std::vector<Field> fields =
      layout.group_by.empty() ? varying_fields(set, runs) : resolve_fields(set, layout.group_by);
  std::vector<Group> groups = group_runs(set, runs, fields, layout.sweep_column);
  if (layout.sort)
    sort_groups(groups, SortKey(set, fields, layout.sort->column, layout.sweep_column), layout.sort->descending);
  const std::vector<Metric> metrics = layout_metrics(set, layout);
  const std::vector<size_t> shown = shown_fields(fields, layout, metrics);
  const bool run_column = shown.empty();  // nothing else would say which runs a row is

  Table table;
  if (layout.sweep_column) table.columns.push_back({kSweepColumn, Align::Left});
  for (const size_t field : shown) table.columns.push_back({fields[field].name, Align::Left});
  if (run_column) table.columns.push_back({kRunColumn, Align::Left});
  table.columns.push_back({kRunsColumn, Align::Right});
  for (const Metric& metric : metrics) {
    table.columns.push_back({layout.numeric ? metric.column : metric.header, Align::Right});
    if (layout.numeric && !metric.text) table.columns.push_back({metric.column + "_std", Align::Right});
  }
  if (baseline) {
    for (Column& column : baseline->columns(layout.numeric)) table.columns.push_back(std::move(column));
  }

  for (const Group& group : groups) {
    std::vector<std::string> cells;
    if (layout.sweep_column) cells.push_back(set.sweeps[group.sweep]);
    for (const size_t field : shown) {
      cells.push_back(fields[field].from_config ? setting_value_cell(fields[field].name, group.values[field])
                                                : value_cell(group.values[field]));
    }
    if (run_column) cells.push_back(run_keys(group));
    cells.push_back(std::to_string(group.runs.size()));
    for (const Metric& metric : metrics) add_metric_cells(cells, group, metric, layout.numeric);
    if (baseline) {
      for (std::string& cell : baseline->cells(set, group, layout.numeric)) cells.push_back(std::move(cell));
    }
    table.add_row(std::move(cells));
  }
  return table;
}

}  // namespace iddl::reports
