#include "reports/compare.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

#include "reports/fold.hpp"
#include "reports/grouping.hpp"

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

std::vector<std::string> row_cells(const std::vector<nlohmann::json>& values, const Group* a, const Group* b,
                                   const std::vector<Metric>& metrics) {
  std::vector<std::string> cells;
  for (const nlohmann::json& value : values) cells.push_back(value_cell(value));
  cells.push_back(a == nullptr ? "" : std::to_string(a->runs.size()));
  cells.push_back(b == nullptr ? "" : std::to_string(b->runs.size()));
  for (const Metric& metric : metrics) {
    cells.push_back(a == nullptr ? "" : metric_cell(*a, metric));
    cells.push_back(b == nullptr ? "" : metric_cell(*b, metric));
    const auto mean_a = mean_of(a, metric);
    const auto mean_b = mean_of(b, metric);
    cells.push_back(mean_a && mean_b ? difference_cell(metric, *mean_b - *mean_a) : "");
  }
  return cells;
}

}  // namespace

Table compare_table(results::Database& db, const Selection& a, const Selection& b,
                    const std::optional<std::string>& columns) {
  Side side_a = load_side(db, a);
  Side side_b = load_side(db, b);
  const std::vector<Metric> metrics = compared_metrics(side_a, side_b, columns);
  const std::vector<Field> fields = matching_fields(side_a, side_b);
  group_side(side_a, fields);
  group_side(side_b, fields);

  Table table;
  for (const Field& field : fields) table.columns.push_back({field.name, Align::Left});
  table.columns.push_back({"runs (A)", Align::Right});
  table.columns.push_back({"runs (B)", Align::Right});
  for (const Metric& metric : metrics) {
    for (const char* suffix : {" (A)", " (B)", " (B - A)"})
      table.columns.push_back({metric.header + suffix, Align::Right});
  }
  for (const Group& group : side_a.groups) {
    table.add_row(row_cells(group.values, &group, find_group(side_b, values_key(group.values)), metrics));
  }
  for (const Group& group : side_b.groups) {
    if (find_group(side_a, values_key(group.values)) == nullptr)
      table.add_row(row_cells(group.values, nullptr, &group, metrics));
  }
  return table;
}

std::string describe(const Selection& side) {
  return side.sweep.value_or("") + (side.where ? " where " + *side.where : "");
}

}  // namespace iddl::reports
