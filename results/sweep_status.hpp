// Read-side views of sweeps for `iddl-sweep plan`, `status` and `list`: run statuses and
// per-sweep summaries. Every function here only reads, so a read-only connection serves.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/sqlite.hpp"

namespace iddl::results {

// One sweep at a glance.
struct SweepSummary {
  std::string name;
  std::string file;                   // the sweep file it was registered from ("" when none)
  std::string created_at;             // ISO-8601 UTC
  std::map<std::string, int> counts;  // runs by status: every status, 0 when none
  int total = 0;                      // runs in the sweep
  std::string last_activity;          // latest of created_at and any run's started_at / finished_at
};

// The summaries of every sweep in creation order.
std::vector<SweepSummary> summarize_sweeps(Database& db);

// run_key -> status of the named sweep's runs ({} when the sweep is unknown).
std::map<std::string, std::string> run_statuses(Database& db, const std::string& sweep_name);

// run_statuses on the database at db_path opened read-only; {} when the file does not exist
// (it is never created).
std::map<std::string, std::string> read_run_statuses(const std::string& db_path, const std::string& sweep_name);

// One stored run of a sweep as `iddl-sweep plan` shows it.
struct StoredRunState {
  std::string key;
  std::string status;
  nlohmann::json config;  // as stored
};

// The named sweep's stored runs in stored order, from the database at db_path opened for reading; {} when
// the file or the sweep does not exist (the file is never created).
std::vector<StoredRunState> read_stored_runs(const std::string& db_path, const std::string& sweep_name);

}  // namespace iddl::results
