#include "runners/launch/sweep_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/data/dataset_files.hpp"
#include "hardware/blas_kernel.hpp"
#include "results/storage_faults.hpp"
#include "results/store.hpp"
#include "runners/launch/device_check.hpp"
#include "runners/launch/dry_run.hpp"
#include "runners/launch/run_commands.hpp"
#include "runners/launch/run_filter.hpp"
#include "runners/launch/run_loop.hpp"
#include "runners/launch/run_selection.hpp"
#include "runners/launch/slurm_submission.hpp"
#include "runners/launch/sweep_lock.hpp"
#include "runners/launch/sweep_plan.hpp"

namespace iddl::launch {
namespace {

void require_data(const matrix::Sweep& sweep) {
  std::set<std::pair<std::string, std::string>> checked;
  for (const auto& run : sweep.runs) {
    const std::pair<std::string, std::string> where{run.config.at("dataset").get<std::string>(),
                                                    run.config.at("data_dir").get<std::string>()};
    if (!checked.insert(where).second) continue;
    if (!data::missing_files(where.first, where.second).empty())
      throw std::runtime_error(sweep.file + ": " + data::missing_files_message(where.first, where.second));
  }
}

// Throws when a run whose ranks stay on this machine has more ranks than it has cores, unless
// --oversubscribe or [launch] oversubscribe asks for that.
void refuse_oversubscription(const matrix::Sweep& sweep, const SweepOptions& options) {
  if (!ranks_stay_here(sweep, options) || options.oversubscribe || sweep.launch.oversubscribe) return;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const auto& run : sweep.runs) {
    const int ranks = run.config.at("ranks").get<int>();
    if (ranks > cores)
      throw std::runtime_error(fmt::format(
          "{}: run {} ({}) has ranks = {} but this machine has {} cores; give --oversubscribe or [launch] "
          "oversubscribe = true to run more ranks than cores, or [launch] hosts for more machines",
          sweep.file, run.key, describe(sweep, run.config), ranks, cores));
  }
}

// Runs the sweep's runs that need running on this machine (or through mpirun's hosts or srun), recording them in
// the database.
SweepOutcome run_here(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log) {
  require_data(sweep);
  results::require_writable_database(options.db_path);
  const SweepLock lock(options.db_path, sweep.name);
  const hardware::BlasChoice blas = hardware::choose_blas(options.bin_dir + "/iddl-blas-probe", options.blas_coretype);
  log << fmt::format("BLAS: {} kernel {} ({})", blas.library, blas.kernel, blas.reason) << std::endl;

  results::Store store(options.db_path);
  const int64_t sweep_id = register_plan(store, sweep, options.into_existing, log);
  if (const int stale = store.mark_stale_running_interrupted(sweep_id))
    log << fmt::format("{} run(s) left running by an earlier invocation marked interrupted", stale) << std::endl;

  std::map<std::string, std::string> statuses;
  std::map<std::string, int64_t> ids;
  for (const auto& row : store.runs_of(sweep_id)) {
    statuses[row.key] = row.status;
    ids[row.key] = row.id;
  }
  const RunSelection selection = select_runs(sweep, statuses, options);
  for (const auto* run : selection.not_run)
    log << run_label(sweep, *run) << ": " << statuses.at(run->key) << ", not run again" << std::endl;
  std::vector<QueuedRun> queue;
  for (const auto* run : selection.to_run) queue.push_back({ids.at(run->key), run, run_label(sweep, *run)});

  const RunCommands commands(sweep, options, blas);
  hardware::SlotScheduler slots = commands.slot_scheduler();
  SweepOutcome outcome = run_queue(queue, sweep, options, store, commands, slots, log);
  outcome.skipped = static_cast<int>(selection.not_run.size());
  log << outcome_summary(sweep, outcome, options.db_path) << std::endl;
  return outcome;
}

}  // namespace

SweepOutcome run_sweep(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log) try {
  refuse_oversubscription(sweep, options);
  check_devices(sweep, options, hardware::this_process_device_facts(), log);
  restricted_keys(sweep, options);  // a bad --only or --where is refused before anything is written
  if (options.dry_run) return print_dry_run(sweep, options, log);
  if (launcher_of(sweep, options) == matrix::Launcher::Sbatch) return submit_job_array(sweep, options, log);
  return run_here(sweep, options, log);
} catch (const results::SqliteError& e) {  // e.g. a full disk; by now the runs in flight are stopped
  throw std::runtime_error(results::storage_failure_message(options.db_path, e));
}

}  // namespace iddl::launch
