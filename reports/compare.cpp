#include "reports/compare.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>
#include <map>
#include <optional>
#include <stdexcept>

#include "reports/fold.hpp"
#include "reports/format.hpp"
#include "reports/grouping.hpp"
#include "reports/names.hpp"

namespace iddl::reports {

namespace {

// One side's done runs and their groups by the matching fields, keyed by the fields' values.
struct Side {
  RunSet set;
  std::vector<const StoredRun*> done;
  std::vector<Group> groups;
  std::map<std::string, size_t> group_of_key;
};

std::string values_key(const std::vector<nlohmann::json>& values) { return nlohmann::json(values).dump(); }

Side load_side(results::Database& db, const Selection& selection) {
  if (!selection.sweep) throw std::invalid_argument("a compared side needs a sweep");
  Side side;
  side.set = load_runs(db, selection);
  side.done = with_status(side.set, results::RunStatus::Done);
  return side;
}

void group_side(Side& side, const std::vector<Field>& fields) {
  side.groups = group_runs(side.set, side.done, fields, false);
  for (size_t i = 0; i < side.groups.size(); ++i) side.group_of_key.emplace(values_key(side.groups[i].values), i);
}

// The settings that vary within either side, as config fields in report order.
std::vector<Field> matching_fields(const Side& a, const Side& b) {
  std::vector<std::string> names;
  for (const Side* side : {&a, &b}) {
    for (const Field& field : varying_fields(side->set, side->done)) {
      if (std::find(names.begin(), names.end(), field.name) == names.end()) names.push_back(field.name);
    }
  }
  std::vector<Field> fields;
  for (const std::string& name : in_report_order(names)) fields.push_back({name, true, 0});
  return fields;
}

const Group* find_group(const Side& side, const std::string& key) {
  const auto found = side.group_of_key.find(key);
  return found == side.group_of_key.end() ? nullptr : &side.groups[found->second];
}

std::optional<double> mean_of(const Group* group, const Metric& metric) {
  if (group == nullptr) return std::nullopt;
  const std::vector<double> values = metric_values(*group, metric);
  if (values.empty()) return std::nullopt;
  return spread(values).mean;
}

// The compared metrics: the columns list resolved against the named metrics of either side.
std::vector<Metric> compared_metrics(const Side& a, const Side& b, const std::optional<std::string>& columns) {
  if (!columns) return default_metrics();
  std::vector<std::string> present = a.set.metric_names;
  for (const std::string& name : b.set.metric_names) {
    if (std::find(present.begin(), present.end(), name) == present.end()) present.push_back(name);
  }
  std::sort(present.begin(), present.end(), natural_less);
  return parse_metric_list(*columns, present);
}

// One row of the comparison: the grouping values and each side's group (nullptr when it lacks the row).
struct Row {
  const std::vector<nlohmann::json>* values;
  const Group* a;
  const Group* b;
};

// The fields named by --group-by: settings of either side; an unknown one throws naming the known ones.
std::vector<Field> named_fields(const Side& a, const Side& b, const std::vector<std::string>& names) {
  std::vector<Field> fields;
  for (const std::string& name : names) {
    try {
      resolve_fields(a.set, {name});
    } catch (const std::invalid_argument&) {
      resolve_fields(b.set, {name});  // throws when neither side has it
    }
    fields.push_back({name, true, 0});
  }
  return fields;
}

// The value a row sorts by: a grouping setting's value, A's (else B's) runs or mean of a metric.
nlohmann::json sort_value(const Row& row, const std::vector<Field>& fields, const std::vector<Metric>& metrics,
                          const std::string& column) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == column) return (*row.values)[i];
  }
  const Group* side = row.a != nullptr ? row.a : row.b;
  if (column == "runs") return side->runs.size();
  for (const Metric& metric : metrics) {
    if (metric.column != column) continue;
    auto mean = mean_of(row.a, metric);
    if (!mean) mean = mean_of(row.b, metric);
    return mean ? nlohmann::json(*mean) : nlohmann::json();
  }
  return nullptr;
}

// Throws unless column names a grouping setting, "runs" or a compared metric.
void check_sort_column(const std::vector<Field>& fields, const std::vector<Metric>& metrics, const std::string& column) {
  std::vector<std::string> names;
  for (const Field& field : fields) names.push_back(field.name);
  names.push_back("runs");
  for (const Metric& metric : metrics) names.push_back(metric.column);
  if (std::find(names.begin(), names.end(), column) == names.end())
    throw std::invalid_argument(unknown_name_message("sort column", column, names));
}

std::vector<std::string> row_cells(const std::vector<Field>& fields, const Row& row, const std::vector<Metric>& metrics,
                                   const CompareLayout& layout, const Side& a, const Side& b,
                                   const std::optional<BaselineRuns>& base_a, const std::optional<BaselineRuns>& base_b) {
  std::vector<std::string> cells;
  for (size_t i = 0; i < fields.size(); ++i) cells.push_back(setting_value_cell(fields[i].name, (*row.values)[i]));
  cells.push_back(row.a == nullptr ? "" : std::to_string(row.a->runs.size()));
  cells.push_back(row.b == nullptr ? "" : std::to_string(row.b->runs.size()));
  for (const Metric& metric : metrics) {
    const auto mean_a = mean_of(row.a, metric);
    const auto mean_b = mean_of(row.b, metric);
    if (layout.numeric && !metric.text) {
      cells.push_back(mean_a ? format_raw(*mean_a) : "");
      cells.push_back(mean_b ? format_raw(*mean_b) : "");
      cells.push_back(mean_a && mean_b ? format_raw(*mean_b - *mean_a) : "");
      continue;
    }
    cells.push_back(row.a == nullptr ? "" : metric_cell(*row.a, metric));
    cells.push_back(row.b == nullptr ? "" : metric_cell(*row.b, metric));
    cells.push_back(mean_a && mean_b ? difference_cell(metric, *mean_b - *mean_a) : "");
  }
  if (layout.baseline) {
    for (const auto& [side, group, base] : {std::tuple(&a, row.a, &base_a), std::tuple(&b, row.b, &base_b)}) {
      std::vector<std::string> base_cells =
          group == nullptr ? std::vector<std::string>(3) : (*base)->cells(side->set, *group, layout.numeric);
      for (std::string& cell : base_cells) cells.push_back(std::move(cell));
    }
  }
  return cells;
}

}  // namespace

Table compare_table(results::Database& db, const Selection& a, const Selection& b, const CompareLayout& layout) {
  Side side_a = load_side(db, a);
  Side side_b = load_side(db, b);
  const std::vector<Metric> metrics = compared_metrics(side_a, side_b, layout.columns);
  const std::vector<Field> fields =
      layout.group_by.empty() ? matching_fields(side_a, side_b) : named_fields(side_a, side_b, layout.group_by);
  group_side(side_a, fields);
  group_side(side_b, fields);
  std::optional<BaselineRuns> base_a;
  std::optional<BaselineRuns> base_b;
  if (layout.baseline) {
    base_a.emplace(db, a, *layout.baseline);
    base_b.emplace(db, b, *layout.baseline);
  }

  Table table;
  for (const Field& field : fields) table.columns.push_back({field.name, Align::Left});
  table.columns.push_back({layout.numeric ? "runs_a" : "runs (A)", Align::Right});
  table.columns.push_back({layout.numeric ? "runs_b" : "runs (B)", Align::Right});
  for (const Metric& metric : metrics) {
    const bool raw = layout.numeric && !metric.text;
    for (const char* suffix : raw ? std::vector<const char*>{"_a", "_b", "_diff"}
                                  : std::vector<const char*>{" (A)", " (B)", " (B - A)"})
      table.columns.push_back({(raw ? metric.column : metric.header) + suffix, Align::Right});
  }
  if (layout.baseline) {
    for (const char* side : {"A", "B"}) {
      for (const Column& column : base_a->columns(layout.numeric)) {
        table.columns.push_back({column.name + (layout.numeric ? std::string("_") + char(std::tolower(side[0]))
                                                               : std::string(" (") + side + ")"),
                                 Align::Right});
      }
    }
  }

  std::vector<Row> rows;
  for (const Group& group : side_a.groups)
    rows.push_back({&group.values, &group, find_group(side_b, values_key(group.values))});
  for (const Group& group : side_b.groups) {
    if (find_group(side_a, values_key(group.values)) == nullptr) rows.push_back({&group.values, nullptr, &group});
  }
  if (layout.sort) {
    check_sort_column(fields, metrics, layout.sort->column);
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& x, const Row& y) {
      return sorts_before(sort_value(x, fields, metrics, layout.sort->column),
                          sort_value(y, fields, metrics, layout.sort->column), layout.sort->descending);
    });
  }
  for (const Row& row : rows) table.add_row(row_cells(fields, row, metrics, layout, side_a, side_b, base_a, base_b));
  return table;
}

std::string describe(const Selection& side) {
  return side.sweep.value_or("") + (side.where ? " where " + *side.where : "");
}

}  // namespace iddl::reports
