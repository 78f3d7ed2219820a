// The results store: the one writer's view of the database (sweeps, runs, epochs). Every
// method that writes is one transaction; the per-event statements are prepared once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/artifacts.hpp"
#include "results/run_status.hpp"
#include "results/sqlite.hpp"

namespace iddl::results {

// A run as planned by the matrix: its key, repeat index and resolved config (keys as in
// docs/architecture.md).
struct PlannedRunRow {
  std::string key;
  int repeat;
  nlohmann::json config;
};

// A run as stored.
struct RunRow {
  int64_t id;
  std::string key;
  int repeat;
  std::string status;
  nlohmann::json config;
};

class Store {
 public:
  // Opens or creates the database at path and migrates it to the current schema.
  explicit Store(const std::string& path);

  // Adds the sweep row (kept as is when present) and one pending row per run not yet present;
  // existing run rows are untouched. Returns the sweep id.
  int64_t register_sweep(const std::string& name, const std::string& file, const std::vector<PlannedRunRow>& runs);

  // Marks the sweep's runs whose keys are `planned_keys` as in the plan and every other run of the sweep
  // as stale (runs.in_plan), in one transaction: what the sweep file, as just run, plans. Returns the
  // number of stale runs.
  int mark_plan(int64_t sweep_id, const std::vector<std::string>& planned_keys);

  // The sweep's runs in planned order (by id).
  std::vector<RunRow> runs_of(int64_t sweep_id);

  // run_key -> status of the named sweep's runs ({} when the sweep is unknown).
  std::map<std::string, std::string> run_statuses(const std::string& sweep_name);

  // Status running, started_at now; clears the previous attempt's error and metrics (named ones too).
  void mark_running(int64_t run_id);

  // Stores a run_started event: host, device, threads, BLAS library and kernel, versions, params, flops,
  // the reproducibility facts iddl_commit, compiler, cpu_model, cpu_cores, and resumed_from_epoch; deletes
  // the stored epochs after resumed_from_epoch (all of them when the run starts afresh).
  void record_started(int64_t run_id, const nlohmann::json& event);

  // Stores an epoch event as one epochs row (replacing the same epoch's row).
  void record_epoch(int64_t run_id, const nlohmann::json& event);

  // Stores a run_finished event: summary metrics (compression_ratio among them), each entry of its
  // "metrics" object (name -> number; null entries skipped) as a run_metrics row replacing the same
  // name's, status done, finished_at now. A bad metric name or a non-number value throws naming the
  // run and the field, and nothing is stored.
  void record_finished(int64_t run_id, const nlohmann::json& event);

  // Records a file or folder the run keeps outside the database (results/artifacts.hpp), in one transaction.
  void add_artifact(int64_t run_id, const std::string& kind, const std::string& path);
  // Forgets the run's recorded files of `kind`, in one transaction.
  void drop_artifacts(int64_t run_id, const std::string& kind);

  // Ends a run as failed, timeout or interrupted, with its exit code, error and stderr tail.
  void record_failure(int64_t run_id, RunStatus status, std::optional<int> exit_code,
                      const std::string& error, const std::string& stderr_tail);

  // The last epoch stored for the run with every epoch before it: 0 when epoch 1 is missing.
  int64_t stored_epochs(int64_t run_id);

  // Turns the sweep's rows left 'running' (by a killed sweep) into 'interrupted'; returns how many.
  int mark_stale_running_interrupted(int64_t sweep_id);

  // The database file.
  const std::string& path() const;

 private:
  void require_changed(int64_t run_id);                                // throws unless the last statement changed a row
  std::string event_context(const char* event, int64_t run_id) const;  // "<path>: <event> event of run <id>"
  void upsert_metrics(int64_t run_id, const nlohmann::json& event);    // the event's named metrics as rows

  Database db_;
  Statement start_attempt_;    // mark_running: status running, the previous attempt's results cleared
  Statement clear_epochs_;     // record_started: the epochs after the checkpoint resumed from deleted
  Statement clear_metrics_;    // mark_running: the previous attempt's named metrics deleted
  Statement update_started_;   // record_started
  Statement upsert_epoch_;     // record_epoch
  Statement update_finished_;  // record_finished
  Statement upsert_metric_;    // record_finished: one named metric
  Statement update_failure_;   // record_failure
};

}  // namespace iddl::results
