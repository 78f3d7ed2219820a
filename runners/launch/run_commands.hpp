// The command of each run of a sweep under one invocation's launcher, with the cores, GPUs and threads it gets.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hardware/blas_kernel.hpp"
#include "hardware/device_rule.hpp"
#include "hardware/slot_scheduler.hpp"
#include "matrix/sweep_file.hpp"
#include "runners/launch/sweep_options.hpp"

namespace iddl::launch {

// Where a run keeps files outside the database (docs/checkpoints.md), absolute; "" for none.
struct RunFolders {
  std::string checkpoints;  // checkpoint_every "auto" or > 0: <--checkpoint-dir, else <db>.checkpoints>/<sweep>/<run key>
  std::string models;       // save_model = true: <db>.models/<sweep>/<run key>
};
RunFolders run_folders(const matrix::Sweep& sweep, const matrix::PlannedRun& run, const SweepOptions& options);

// The run spec iddl-train reads, with the run's folders.
nlohmann::json spec_of(const matrix::Sweep& sweep, const matrix::PlannedRun& run, const SweepOptions& options);

// "model=mlp parallelism=sync ranks=2": the settings that vary in the sweep, "(base settings)" when none do.
std::string describe(const matrix::Sweep& sweep, const nlohmann::json& config);

// "[3/8] <run key> <settings>": a run by its place in the plan, for the log.
std::string run_label(const matrix::Sweep& sweep, const matrix::PlannedRun& run);

// The commands of one invocation's runs: this machine's cores and GPUs shared among `jobs` runs at once.
class RunCommands {
 public:
  RunCommands(const matrix::Sweep& sweep, const SweepOptions& options, const hardware::BlasChoice& blas);

  // Threads per rank: the run's setting, or its share of the cores left to each of the jobs.
  int threads_for(const matrix::PlannedRun& run) const;

  // Whether the ranks run on this machine's cores (not on other hosts or Slurm's nodes).
  bool ranks_stay_here() const { return ranks_stay_here_; }

  // The cores and GPUs `run` needs of this machine (only a place among the jobs when its ranks go elsewhere).
  hardware::SlotRequest request_for(const matrix::PlannedRun& run) const;

  // The argument vector that starts `run` on `slot` under this invocation's launcher; with mpirun on this
  // machine, the spec is read from `spec_file` when one is given.
  std::vector<std::string> command_for(const matrix::PlannedRun& run, const hardware::Slot& slot,
                                       const std::string& spec_file = "") const;

  // The free cores and GPUs of this machine the runs are placed on, under the invocation's GPU policy.
  hardware::SlotScheduler slot_scheduler() const;

 private:
  const matrix::Sweep& sweep_;
  const SweepOptions& options_;
  const hardware::BlasChoice& blas_;
  const matrix::Launcher launcher_;
  const bool ranks_stay_here_;

 public:
  const int cores;  // this machine's cores
  const hardware::DeviceFacts device_facts;  // what decides which runs use GPUs (hardware/device_rule.hpp)
  const int gpus;   // this machine's NVIDIA GPUs
  const int jobs;   // runs at once
};

}  // namespace iddl::launch
