// Which runs of a sweep an invocation runs: one rule for running, dry runs and Slurm job arrays.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "matrix/sweep_file.hpp"
#include "results/run_status.hpp"
#include "runners/launch/sweep_options.hpp"

namespace iddl::launch {

// Whether a run in `status` runs: pending and interrupted ones; failed and timed-out ones with --retry-failed
// or --force; done ones with --force.
bool needs_running(results::RunStatus status, const SweepOptions& options);

// The planned runs of a sweep split by needs_running, each in plan order; runs --only / --where leave out are in
// neither list.
struct RunSelection {
  std::vector<const matrix::PlannedRun*> to_run;
  std::vector<const matrix::PlannedRun*> not_run;  // done, or failed without --retry-failed
};

// The selection from the stored status of each run by run key (a run not stored is pending); throws
// std::invalid_argument when --only or --where matches no planned run (restricted_keys).
RunSelection select_runs(const matrix::Sweep& sweep, const std::map<std::string, std::string>& statuses,
                         const SweepOptions& options);

// The selection from the database at options.db_path, read without writing (every run when the database or the
// sweep is new).
RunSelection select_stored_runs(const matrix::Sweep& sweep, const SweepOptions& options);

}  // namespace iddl::launch
