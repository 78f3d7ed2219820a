#include "reports/json_report.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "reports/metric_columns.hpp"
#include "reports/names.hpp"

namespace iddl::reports {

namespace {

// Columns of a runs row that the object leaves out (the sweep is given by name).
bool is_internal(const std::string& column) { return column == "id" || column == "sweep_id"; }

// One run object from a row of "r.*, s.name, <named metrics>".
nlohmann::json run_object(const results::Statement& row) {
  nlohmann::json run = nlohmann::json::object();
  nlohmann::json config = nlohmann::json::object();
  const int sweep_column = row.column_count() - 2;
  for (int column = 0; column < sweep_column; ++column) {
    const std::string name = row.column_name(column);
    if (name == "config") {
      config = nlohmann::json::parse(row.column_text(column));
    } else if (!is_internal(name)) {
      run[name] = column_json(row, column);
    }
  }
  run["sweep"] = row.column_text(sweep_column);
  run["metrics"] = nlohmann::json::parse(row.column_text(sweep_column + 1));
  for (const auto& item : config.items()) {
    if (!run.contains(item.key())) run[item.key()] = item.value();
  }
  run["config"] = std::move(config);
  return run;
}

void sort_runs(nlohmann::json& runs, const SortOrder& order) {
  std::set<std::string> keys;
  for (const nlohmann::json& run : runs) {
    for (const auto& item : run.items()) keys.insert(item.key());
  }
  if (!runs.empty() && keys.count(order.column) == 0) {
    throw std::invalid_argument(
        unknown_name_message("sort key", order.column, std::vector<std::string>(keys.begin(), keys.end())));
  }
  std::stable_sort(runs.begin(), runs.end(), [&](const nlohmann::json& a, const nlohmann::json& b) {
    return sorts_before(a.value(order.column, nlohmann::json()), b.value(order.column, nlohmann::json()),
                        order.descending);
  });
}

}  // namespace

nlohmann::json runs_json(results::Database& db, const Selection& selection, const std::optional<SortOrder>& sort) {
  std::string columns = "r.*";
  for (const Metric& metric : metrics()) {  // the epochs' fields as their mean over the run's epochs
    if (metric.per_epoch) columns += ", " + metric_sql(metric) + " AS " + metric.column;
  }
  results::Statement select = select_runs(db, selection, columns + ", s.name, " + named_metrics_sql());
  nlohmann::json runs = nlohmann::json::array();
  while (select.step()) runs.push_back(run_object(select));
  if (sort) sort_runs(runs, *sort);
  return runs;
}

}  // namespace iddl::reports
