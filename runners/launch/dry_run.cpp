#include "runners/launch/dry_run.hpp"

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "hardware/blas_kernel.hpp"
#include "runners/launch/command_text.hpp"
#include "runners/launch/run_commands.hpp"
#include "runners/launch/run_selection.hpp"
#include "runners/launch/slurm_submission.hpp"
#include "runners/launch/srun_command.hpp"

namespace iddl::launch {
namespace {

// Prints what each array task would run.
void print_job_array(const matrix::Sweep& sweep, const SweepOptions& options,
                     const std::vector<const matrix::PlannedRun*>& runs, std::ostream& log) {
  if (runs.empty()) {
    log << nothing_to_submit(sweep) << std::endl;
    return;
  }
  const SbatchJob job = job_array(sweep, options, runs);
  log << fmt::format("dry run of sweep {} (sbatch): {} of {} runs as array tasks 0-{}; nothing is written\n",
                     sweep.name, runs.size(), sweep.runs.size(), runs.size() - 1);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    SrunOptions task;
    task.train_exe = options.bin_dir + "/iddl-train";
    task.ranks = runs[i]->config.at("ranks").get<int>();
    task.threads_per_rank = job.cpus_per_task;
    task.gpus_per_rank = job.gpus_per_task;
    task.blas_coretype = options.blas_coretype;
    log << fmt::format("[task {}] {} {}\n  {}\n", i, runs[i]->key, describe(sweep, runs[i]->config),
                       command_text(srun_argv(task, spec_of(sweep, *runs[i], options).dump())));
  }
  log << "would write " << job.files.script << " and " << job.files.run_list
      << ", then run: " << command_text({"sbatch", job.files.script}) << std::endl;
}

// Prints the command of each run on the cores it would get when the runs start in order.
void print_commands(const matrix::Sweep& sweep, const SweepOptions& options,
                    const std::vector<const matrix::PlannedRun*>& runs, std::ostream& log) {
  const hardware::BlasChoice blas = hardware::choose_blas(options.bin_dir + "/iddl-blas-probe", options.blas_coretype);
  const RunCommands commands(sweep, options, blas);
  log << fmt::format("dry run of sweep {} ({}): {} of {} runs would run, {} at once; nothing is launched{}\n",
                     sweep.name, to_string(launcher_of(sweep, options)), runs.size(), sweep.runs.size(),
                     commands.jobs, commands.ranks_stay_here() ? " (cores as when the runs start in order)" : "");
  hardware::SlotScheduler slots = commands.slot_scheduler();
  std::vector<hardware::Slot> held;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto request = commands.request_for(*runs[i]);
    auto slot = static_cast<int>(held.size()) < commands.jobs ? slots.acquire(request) : std::nullopt;
    if (!slot) {  // the runs before it end first
      for (const auto& h : held) slots.release(h);
      held.clear();
      slot = slots.acquire(request);
    }
    held.push_back(*slot);
    log << fmt::format("[{}/{}] {} {}\n  {}\n", i + 1, runs.size(), runs[i]->key, describe(sweep, runs[i]->config),
                       command_text(commands.command_for(*runs[i], *slot)));
  }
}

}  // namespace

SweepOutcome print_dry_run(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log) {
  const RunSelection selection = select_stored_runs(sweep, options);
  if (launcher_of(sweep, options) == matrix::Launcher::Sbatch)
    print_job_array(sweep, options, selection.to_run, log);
  else
    print_commands(sweep, options, selection.to_run, log);
  SweepOutcome outcome;
  outcome.skipped = static_cast<int>(selection.not_run.size());
  return outcome;
}

}  // namespace iddl::launch
