#include "runners/launch/slurm_submission.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "hardware/device_rule.hpp"
#include "hardware/program_output.hpp"
#include "results/store.hpp"
#include "runners/launch/command_text.hpp"
#include "runners/launch/job_array_follower.hpp"
#include "runners/launch/run_commands.hpp"
#include "runners/launch/run_selection.hpp"
#include "runners/launch/slurm_job_record.hpp"
#include "runners/launch/slurm_queue.hpp"
#include "runners/launch/sweep_lock.hpp"
#include "runners/launch/sweep_plan.hpp"

namespace iddl::launch {
namespace {

namespace fs = std::filesystem;

// "<run key> <settings>" of every run of the sweep, by run key.
std::map<std::string, std::string> run_labels(const matrix::Sweep& sweep) {
  std::map<std::string, std::string> labels;
  for (const auto& run : sweep.runs) labels[run.key] = run.key + " " + describe(sweep, run.config);
  return labels;
}

// Adds the counts of `more` to `outcome`.
void add_outcome(SweepOutcome& outcome, const SweepOutcome& more) {
  outcome.done += more.done;
  outcome.failed += more.failed;
  outcome.timed_out += more.timed_out;
  outcome.interrupted += more.interrupted;
  outcome.stopped_by_signal = outcome.stopped_by_signal || more.stopped_by_signal;
  outcome.wall_seconds += more.wall_seconds;
}

}  // namespace

SbatchJob job_array(const matrix::Sweep& sweep, const SweepOptions& options,
                    const std::vector<const matrix::PlannedRun*>& runs) {
  SbatchJob job;
  job.sweep = sweep.name;
  job.tasks = static_cast<int>(runs.size());
  const hardware::DeviceFacts devices = hardware::this_process_device_facts();
  for (const auto* run : runs) {
    job.ranks = std::max(job.ranks, run->config.at("ranks").get<int>());
    job.cpus_per_task = std::max(job.cpus_per_task, run->config.at("threads").get<int>());
    if (hardware::uses_cuda(run->config.at("device").get<std::string>(), devices)) job.gpus_per_task = 1;
  }
  const double timeout_s = timeout_of(sweep, options);
  if (timeout_s > 0) job.time_minutes = static_cast<int>(std::ceil(timeout_s / 60.0));  // Slurm counts minutes
  job.sbatch_args = sweep.launch.sbatch_args;
  job.sweep_exe = options.bin_dir + "/iddl-sweep";
  job.blas_coretype = options.blas_coretype;
  job.files = sbatch_files(options.job_dir.empty() ? fs::absolute(options.db_path).parent_path().string() : options.job_dir,
                           sweep.name);
  return job;
}

std::string nothing_to_submit(const matrix::Sweep& sweep) {
  return fmt::format("sweep {}: nothing to submit: its {} runs are done or failed (failed ones run again with "
                     "--retry-failed)",
                     sweep.name, sweep.runs.size());
}

SweepOutcome submit_job_array(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log) {
  const SweepLock lock(options.db_path, sweep.name);
  results::Store store(options.db_path);
  const int64_t sweep_id = register_plan(store, sweep, options.into_existing, log);
  const std::string record_path = slurm_job_record_path(options.db_path, sweep.name);
  const FollowOptions follow{options.poll_s, options.live_progress};
  SweepOutcome outcome;
  const auto earlier = read_slurm_job_record(record_path);
  if (earlier && !fs::exists(earlier->run_list))
    log << fmt::format("the run list {} of Slurm job {} is gone: not following that job", earlier->run_list,
                       earlier->job_id)
        << std::endl;
  else if (earlier && hardware::find_program("squeue")) {
    if (options.no_wait && job_array_active(*earlier)) {
      log << fmt::format("sweep {}: its Slurm job {} still has tasks pending or running; nothing submitted\n{}",
                         sweep.name, earlier->job_id, job_array_status(*earlier))
          << std::flush;
      return outcome;
    }
    // What the earlier job array did while nobody followed it, or the rest of it when it still runs.
    add_outcome(outcome, follow_job_array(store, sweep_id, *earlier, run_labels(sweep), follow, log));
    if (outcome.stopped_by_signal) return outcome;
  }
  store.mark_stale_running_interrupted(sweep_id);
  const RunSelection selection = select_stored_runs(sweep, options);
  const auto& runs = selection.to_run;
  outcome.skipped = static_cast<int>(selection.not_run.size());
  if (runs.empty()) {
    log << nothing_to_submit(sweep) << std::endl;
    if (outcome.done + outcome.failed + outcome.timed_out + outcome.interrupted > 0)
      log << outcome_summary(sweep, outcome, options.db_path) << std::endl;
    return outcome;
  }
  const SbatchJob job = job_array(sweep, options, runs);
  const std::vector<std::string> submit{"sbatch", job.files.script};
  std::vector<nlohmann::json> specs;
  for (const auto* run : runs) {
    nlohmann::json spec = spec_of(sweep, *run, options);
    spec["sweep_file"] = fs::absolute(sweep.file).string();
    specs.push_back(spec);
  }
  write_sbatch_job(job, specs);
  const std::string collect = command_text(
      {options.bin_dir + "/iddl-sweep", "collect", "--db", options.db_path, job.files.journal_dir});
  log << fmt::format("sweep {}: {} of {} runs written as a Slurm job array:\n  script    {}\n  run list  {}\n"
                     "  journals  {}\n",
                     sweep.name, runs.size(), sweep.runs.size(), job.files.script, job.files.run_list,
                     job.files.journal_dir);
  if (!hardware::find_program("sbatch")) {
    log << "sbatch is not on PATH here; submit on the cluster with: " << command_text(submit)
        << "\nafter the tasks end: " << collect << std::endl;
    return outcome;
  }
  log << "submitting: " << command_text(submit) << std::endl;
  const SlurmJobRecord record =
      new_slurm_job_record(sbatch_submit(job.files.script), job.files.run_list, job.files.journal_dir);
  write_slurm_job_record(record_path, record);
  log << fmt::format("submitted Slurm job {}", record.job_id) << std::endl;
  if (options.no_wait) {
    log << fmt::format("not following it (--no-wait): `iddl-sweep status --db {}` shows its tasks; after they end: {}",
                       options.db_path, collect)
        << std::endl;
    return outcome;
  }
  add_outcome(outcome, follow_job_array(store, sweep_id, record, run_labels(sweep), follow, log));
  log << outcome_summary(sweep, outcome, options.db_path) << std::endl;
  return outcome;
}

}  // namespace iddl::launch
