#include "reports/run_set.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "reports/fold.hpp"
#include "reports/metric_columns.hpp"
#include "reports/where_clause.hpp"

namespace iddl::reports {

namespace {

// The columns every StoredRun is read from, before the metrics and the extra columns.
const char* const kRunColumns =
    "r.id, s.name, r.run_key, r.status, r.error, json_remove(r.config, '$.seed'), r.host, r.blas_library, "
    "r.blas_kernel, r.torch_version";
constexpr int kFirstMetricColumn = 10;

// The runs with their tags and note, for a where expression: one row per tag (a run without tags once),
// so "tag = 'baseline'" selects the runs tagged baseline and "note LIKE '%lr%'" those noted so.
const char* const kLabelledRuns =
    "(SELECT runs.*, run_tags.tag AS tag, run_notes.note AS note FROM runs "
    "LEFT JOIN run_tags ON run_tags.run_id = runs.id LEFT JOIN run_notes ON run_notes.run_id = runs.id)";

// Throws, naming the database, unless it holds the sweep.
void require_sweep(results::Database& db, const std::string& sweep) {
  results::Statement find = db.prepare("SELECT 1 FROM sweeps WHERE name = ?1");
  find.bind_text(1, sweep);
  if (!find.step()) throw std::runtime_error(db.path() + ": no sweep named '" + sweep + "'");
}

// The selected sweeps in creation order.
std::vector<std::string> selected_sweeps(results::Database& db, const Selection& selection) {
  results::Statement select = db.prepare("SELECT name FROM sweeps WHERE ?1 IS NULL OR name = ?1 ORDER BY id");
  if (selection.sweep) {
    select.bind_text(1, *selection.sweep);
  } else {
    select.bind_null(1);
  }
  std::vector<std::string> names;
  while (select.step()) names.push_back(select.column_text(0));
  return names;
}

// "SELECT <columns> FROM <the selected runs r, joined with their sweep s> ORDER BY r.id", the
// sweep name as ?1 when selected.
std::string selected_runs_sql(const Selection& selection, const std::string& columns) {
  const std::string runs =
      selection.where ? "(SELECT * FROM runs WHERE id IN (SELECT id FROM " + std::string(kLabelledRuns) + " WHERE (" +
                            *selection.where + "\n)))"
                      : "runs";
  std::string conditions = selection.sweep ? "s.name = ?1" : "";
  if (!selection.stale) conditions += (conditions.empty() ? "" : " AND ") + std::string("r.in_plan = 1");
  return "SELECT " + columns + " FROM " + runs + " AS r JOIN sweeps AS s ON s.id = r.sweep_id" +
         (conditions.empty() ? "" : " WHERE " + conditions) + " ORDER BY r.id";
}

// The statement of sql (built by selected_runs_sql), the sweep bound; a bad where expression
// throws std::invalid_argument quoting it with SQLite's message.
results::Statement prepare_selected(results::Database& db, const Selection& selection, const std::string& sql) {
  if (selection.where) check_where_expression(*selection.where);
  if (selection.sweep) require_sweep(db, *selection.sweep);
  try {
    results::Statement statement = db.prepare(sql);
    if (selection.sweep) statement.bind_text(1, *selection.sweep);
    return statement;
  } catch (const results::SqliteError& error) {
    if (!selection.where) throw;
    throw std::invalid_argument("bad where expression \"" + *selection.where + "\": " + error.sqlite_message());
  }
}

// Fills the named metrics of the set's runs (in id order) from the run_metrics rows of the
// selected runs, NULL values left out.
void load_named_metrics(results::Database& db, const Selection& selection, RunSet& set) {
  results::Statement select = prepare_selected(
      db, selection,
      "SELECT m.run_id, m.name, m.value FROM run_metrics AS m WHERE m.value IS NOT NULL AND m.run_id IN (" +
          selected_runs_sql(selection, "r.id") + ")");
  while (select.step()) {
    const int64_t id = select.column_int(0);
    const auto run = std::lower_bound(set.runs.begin(), set.runs.end(), id,
                                      [](const StoredRun& stored, int64_t wanted) { return stored.id < wanted; });
    if (run != set.runs.end() && run->id == id)  // a run a writer added since the runs were read is left out
      run->named_metrics.emplace(select.column_text(1), select.column_real(2));
  }
}

// The names of the runs' named metrics, in natural order.
std::vector<std::string> metric_names(const std::vector<StoredRun>& runs) {
  std::set<std::string> names;
  for (const StoredRun& run : runs) {
    for (const auto& entry : run.named_metrics) names.insert(entry.first);
  }
  std::vector<std::string> sorted(names.begin(), names.end());
  std::sort(sorted.begin(), sorted.end(), natural_less);
  return sorted;
}

}  // namespace

results::Statement select_runs(results::Database& db, const Selection& selection, const std::string& columns) {
  return prepare_selected(db, selection, selected_runs_sql(selection, columns));
}

const char* named_metrics_sql() {
  return "(SELECT json_group_object(m.name, m.value) FROM run_metrics AS m WHERE m.run_id = r.id)";
}

nlohmann::json column_json(const results::Statement& row, int column) {
  switch (row.column_type(column)) {
    case results::ValueType::Integer: return row.column_int(column);
    case results::ValueType::Real: return row.column_real(column);
    case results::ValueType::Null: return nullptr;
    default: return row.column_text(column);
  }
}

std::map<std::string, int> stale_runs(results::Database& db, const Selection& selection) {
  Selection all = selection;
  all.stale = true;
  results::Statement select = prepare_selected(
      db, all, "SELECT name, COUNT(*) FROM (" + selected_runs_sql(all, "s.name AS name, r.in_plan AS in_plan") +
                   ") WHERE in_plan = 0 GROUP BY name");
  std::map<std::string, int> counts;
  while (select.step()) counts.emplace(select.column_text(0), static_cast<int>(select.column_int(1)));
  return counts;
}

std::vector<std::string> runs_columns(results::Database& db) {
  results::Statement select = db.prepare("SELECT name FROM pragma_table_info('runs') ORDER BY cid");
  std::vector<std::string> names;
  while (select.step()) names.push_back(select.column_text(0));
  return names;
}

RunSet load_runs(results::Database& db, const Selection& selection, const std::vector<std::string>& extra_columns,
                 const std::optional<std::vector<std::string>>& metric_columns) {
  RunSet set;
  set.sweeps = selected_sweeps(db, selection);
  const std::vector<std::string> table_columns = runs_columns(db);
  for (const std::string& name : extra_columns) {
    if (std::find(table_columns.begin(), table_columns.end(), name) != table_columns.end())
      set.column_names.push_back(name);
  }
  std::string columns = kRunColumns;
  std::vector<size_t> loaded;  // metrics() indices, in column order
  for (size_t i = 0; i < metrics().size(); ++i) {
    const Metric& metric = metrics()[i];
    if (metric_columns &&
        std::find(metric_columns->begin(), metric_columns->end(), metric.column) == metric_columns->end())
      continue;
    loaded.push_back(i);
    columns += ", " + metric_sql(metric);
  }
  for (const std::string& name : set.column_names) columns += ", r." + name;
  results::Statement select = select_runs(db, selection, columns);

  std::unordered_map<std::string, size_t> sweep_of_name;     // sweep name -> index
  for (size_t i = 0; i < set.sweeps.size(); ++i) sweep_of_name.emplace(set.sweeps[i], i);
  std::unordered_map<std::string, size_t> settings_of_text;  // config text without seed -> index
  std::unordered_map<std::string, size_t> settings_of_key;   // fold key -> index
  const int first_extra = kFirstMetricColumn + static_cast<int>(loaded.size());
  while (select.step()) {
    StoredRun run;
    run.id = select.column_int(0);
    run.sweep = sweep_of_name.at(select.column_text(1));
    run.key = select.column_text(2);
    run.status = select.column_text(3);
    run.error = select.column_text(4);
    const std::string config_text = select.column_text(5);
    auto known = settings_of_text.find(config_text);
    if (known == settings_of_text.end()) {  // parse each distinct config once
      nlohmann::json canonical = canonical_settings(nlohmann::json::parse(config_text));
      const auto [entry, added] = settings_of_key.emplace(canonical.dump(), set.settings.size());
      if (added) set.settings.push_back(std::move(canonical));
      known = settings_of_text.emplace(config_text, entry->second).first;
    }
    run.settings = known->second;
    run.host = select.column_text(6);
    run.blas_library = select.column_text(7);
    run.blas_kernel = select.column_text(8);
    run.torch_version = select.column_text(9);
    run.metrics.resize(metrics().size());
    for (size_t i = 0; i < loaded.size(); ++i)
      run.metrics[loaded[i]] = column_json(select, kFirstMetricColumn + static_cast<int>(i));
    for (size_t i = 0; i < set.column_names.size(); ++i) {
      run.columns.push_back(column_json(select, first_extra + static_cast<int>(i)));
    }
    set.runs.push_back(std::move(run));
  }
  load_named_metrics(db, selection, set);
  set.metric_names = metric_names(set.runs);
  return set;
}

std::vector<const StoredRun*> with_status(const RunSet& set, results::RunStatus status) {
  const std::string text = to_string(status);
  std::vector<const StoredRun*> chosen;
  for (const StoredRun& run : set.runs) {
    if (run.status == text) chosen.push_back(&run);
  }
  return chosen;
}

}  // namespace iddl::reports
