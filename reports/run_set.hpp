// The runs a report reads: selected by sweep and an SQL expression, loaded with their settings,
// metrics and the facts the report prints.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/run_status.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// Which runs a report covers.
struct Selection {
  std::optional<std::string> sweep;  // only this sweep (unknown: an error); every sweep when unset
  std::optional<std::string> where;  // an SQL boolean expression over the runs table's columns, tag and note
  bool stale = false;  // also the runs their sweep file no longer plans (runs.in_plan = 0), left out by default
};

// One stored run as the reports read it.
struct StoredRun {
  int64_t id = 0;
  size_t sweep = 0;     // index into RunSet::sweeps
  size_t settings = 0;  // index into RunSet::settings
  std::string key, status, error;
  std::vector<nlohmann::json> metrics;          // by metrics() index: a number, text, or null
  std::map<std::string, double> named_metrics;  // run_metrics name -> value (NULLs left out)
  std::vector<nlohmann::json> columns;         // values of RunSet::column_names, in that order
  std::string host, blas_library, blas_kernel, torch_version;
};

// The selected runs in stored order, and what they share.
struct RunSet {
  std::vector<std::string> sweeps;         // the selected sweeps in creation order
  std::vector<nlohmann::json> settings;    // the distinct configs of the runs, canonical, without seed
  std::vector<std::string> column_names;   // the runs columns loaded into StoredRun::columns
  std::vector<std::string> metric_names;   // the run_metrics names of the runs, in natural order
  std::vector<StoredRun> runs;             // by id
};

// The selected runs of the database with their named metrics, the metrics of metric_columns (names
// of metrics(), the others left null; every metric when unset) and, for each name in extra_columns
// that is a runs column, its value. Throws when the sweep is unknown, and std::invalid_argument quoting a bad where
// expression with SQLite's message.
RunSet load_runs(results::Database& db, const Selection& selection, const std::vector<std::string>& extra_columns = {},
                 const std::optional<std::vector<std::string>>& metric_columns = std::nullopt);

// The selected runs' rows: SELECT <columns> over the runs (aliased r) joined with their sweep
// (aliased s), ordered by run id, the sweep name bound. Errors as load_runs.
results::Statement select_runs(results::Database& db, const Selection& selection, const std::string& columns);

// An SQL expression: the named metrics (run_metrics rows) of the run aliased r as JSON object
// text, "{}" when it has none.
const char* named_metrics_sql();

// A column of the current row as JSON: integer, real, text, or null.
nlohmann::json column_json(const results::Statement& row, int column);

// The number of stale runs (runs.in_plan = 0) of each selected sweep that has any, by sweep name; the
// where expression applies.
std::map<std::string, int> stale_runs(results::Database& db, const Selection& selection);

// The names of the runs table's columns, in table order.
std::vector<std::string> runs_columns(results::Database& db);

// The runs with the given status, in order.
std::vector<const StoredRun*> with_status(const RunSet& set, results::RunStatus status);

}  // namespace iddl::reports
