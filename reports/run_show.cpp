#include "reports/run_show.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include "reports/fold.hpp"
#include "reports/metric_columns.hpp"
#include "reports/run_set.hpp"
#include "reports/table.hpp"
#include "results/fields.hpp"
#include "results/run_keys.hpp"
#include "results/run_labels.hpp"

namespace iddl::reports {

namespace {

// A value of a column as a cell: written by its metric's unit when it is a metric, else as it is.
std::string cell_of(const std::string& column, const nlohmann::json& value) {
  if (value.is_null()) return "";
  const Metric* metric = find_metric(column);
  if (metric != nullptr && !metric->text && value.is_number()) return metric->format(value.get<double>());
  return value_cell(value);
}

// A two-column table of name/value pairs.
Table pairs(const std::string& name_header, const std::vector<std::pair<std::string, std::string>>& rows) {
  Table table{{{name_header}, {"value"}}, {}};
  for (const auto& [name, value] : rows) table.add_row({name, value});
  return table;
}

// The stored run's row as column name -> JSON value, with its sweep's name and file.
std::map<std::string, nlohmann::json> run_row(results::Database& db, int64_t id) {
  results::Statement select =
      db.prepare("SELECT r.*, s.name AS sweep_name, s.file AS sweep_file FROM runs AS r JOIN sweeps AS s "
                 "ON s.id = r.sweep_id WHERE r.id = ?1");
  select.bind_int(1, id);
  select.step();
  std::map<std::string, nlohmann::json> row;
  for (int column = 0; column < select.column_count(); ++column)
    row.emplace(select.column_name(column), column_json(select, column));
  return row;
}

Table epochs_table(results::Database& db, int64_t id) {
  results::Statement select = db.prepare("SELECT * FROM epochs WHERE run_id = ?1 ORDER BY epoch");
  select.bind_int(1, id);
  std::vector<std::string> names;
  std::vector<std::vector<nlohmann::json>> rows;
  while (select.step()) {
    if (names.empty()) {
      for (int column = 0; column < select.column_count(); ++column) names.push_back(select.column_name(column));
    }
    std::vector<nlohmann::json> row;
    for (int column = 0; column < select.column_count(); ++column) row.push_back(column_json(select, column));
    rows.push_back(std::move(row));
  }
  std::vector<size_t> shown;  // the columns some epoch recorded, run_id aside
  for (size_t column = 0; column < names.size(); ++column) {
    if (names[column] == "run_id") continue;
    if (std::any_of(rows.begin(), rows.end(), [&](const auto& row) { return !row[column].is_null(); }))
      shown.push_back(column);
  }
  Table table;
  for (const size_t column : shown) table.columns.push_back({names[column], Align::Right});
  for (const auto& row : rows) {
    std::vector<std::string> cells;
    for (const size_t column : shown)
      cells.push_back(names[column] == "epoch" ? value_cell(row[column]) : cell_of(names[column], row[column]));
    table.add_row(std::move(cells));
  }
  return table;
}

}  // namespace

void write_run(std::ostream& destination, results::Database& db, const std::string& run_key,
               const std::optional<std::string>& sweep) {
  const int64_t id = results::find_runs(db, {run_key}, sweep).front().id;
  std::map<std::string, nlohmann::json> row = run_row(db, id);
  const auto text = [&](const std::string& column) { return value_cell(row[column]); };
  std::ostringstream out;
  out << "# run " << run_key << " of sweep " << text("sweep_name")
      << (text("sweep_file").empty() ? "" : " (" + text("sweep_file") + ")") << "\n\n";
  out << "status: " << text("status") << (row["exit_code"].is_null() ? "" : ", exit code " + text("exit_code"))
      << (row["in_plan"] == 0 ? " (stale: no longer in the sweep file)" : "") << "\n";
  if (!text("started_at").empty()) out << "started: " << text("started_at") << "\n";
  if (!text("finished_at").empty()) out << "finished: " << text("finished_at") << "\n";
  if (!text("error").empty()) out << "error: " << text("error") << "\n";
  const std::vector<std::string> tags = results::tags_of(db, id);
  out << "tags: " << (tags.empty() ? std::string("none") : fmt::format("{}", fmt::join(tags, ", "))) << "\n";
  const std::string note = results::note_of(db, id);
  if (!note.empty()) out << "note: " << note << "\n";

  std::vector<std::pair<std::string, std::string>> config;
  const nlohmann::json settings = nlohmann::json::parse(text("config"));
  for (const auto& item : settings.items())
    config.emplace_back(item.key(), value_cell(item.value()));
  out << "\n## Config\n\n" << render_markdown(pairs("setting", config));

  std::vector<std::pair<std::string, std::string>> metric_rows;
  std::vector<std::pair<std::string, std::string>> environment;
  for (const results::EventField& field : results::kEventFields) {  // the runs columns of run_started, run_finished
    const auto found = row.find(field.name);
    if (field.stored != results::Stored::Column || found == row.end() || found->second.is_null()) continue;
    const bool machine = (field.events & results::kRunStarted) != 0 && field.unit != results::Unit::Count;
    if (machine) environment.emplace_back(field.name, cell_of(field.name, found->second));
    if (!machine && (field.events & (results::kRunStarted | results::kRunFinished)) != 0)
      metric_rows.emplace_back(field.name, cell_of(field.name, found->second));  // params and FLOPs come with run_started
  }
  results::Statement named = db.prepare("SELECT name, value FROM run_metrics WHERE run_id = ?1 AND value IS NOT NULL");
  named.bind_int(1, id);
  std::vector<std::pair<std::string, double>> named_values;
  while (named.step()) named_values.emplace_back(named.column_text(0), named.column_real(1));
  std::sort(named_values.begin(), named_values.end(),
            [](const auto& a, const auto& b) { return natural_less(a.first, b.first); });
  for (const auto& [name, value] : named_values) metric_rows.emplace_back(name, named_metric(name).format(value));
  out << "\n## Metrics\n\n"
      << (metric_rows.empty() ? std::string("none recorded\n") : render_markdown(pairs("metric", metric_rows)));

  const Table epochs = epochs_table(db, id);
  out << "\n## Epochs\n\n" << (epochs.rows.empty() ? std::string("none recorded\n") : render_markdown(epochs));

  out << "\n## Environment\n\n"
      << (environment.empty() ? std::string("none recorded\n") : render_markdown(pairs("fact", environment)));
  destination << out.str();
}

}  // namespace iddl::reports
