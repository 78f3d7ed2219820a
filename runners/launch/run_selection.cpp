#include "runners/launch/run_selection.hpp"

#include "results/sweep_status.hpp"
#include "runners/launch/run_filter.hpp"

namespace iddl::launch {

bool needs_running(results::RunStatus status, const SweepOptions& options) {
  using results::RunStatus;
  switch (status) {
    case RunStatus::Pending:
    case RunStatus::Interrupted:
      return true;
    case RunStatus::Failed:
    case RunStatus::Timeout:
      return options.retry_failed || options.force;
    case RunStatus::Done:
      return options.force;
    case RunStatus::Running:
      return false;
  }
  return false;
}

RunSelection select_runs(const matrix::Sweep& sweep, const std::map<std::string, std::string>& statuses,
                         const SweepOptions& options) {
  RunSelection selection;
  const auto restriction = restricted_keys(sweep, options);
  for (const auto& run : sweep.runs) {
    if (restriction && restriction->count(run.key) == 0) continue;
    const auto found = statuses.find(run.key);
    const auto status = found == statuses.end() ? results::RunStatus::Pending : results::parse_run_status(found->second);
    (needs_running(status, options) ? selection.to_run : selection.not_run).push_back(&run);
  }
  return selection;
}

RunSelection select_stored_runs(const matrix::Sweep& sweep, const SweepOptions& options) {
  return select_runs(sweep, results::read_run_statuses(options.db_path, sweep.name), options);
}

}  // namespace iddl::launch
