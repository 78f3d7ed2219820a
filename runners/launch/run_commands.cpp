#include "runners/launch/run_commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "hardware/gpu_info.hpp"
#include "hardware/thread_budget.hpp"
#include "matrix/axis_value.hpp"
#include "matrix/checkpoint_policy.hpp"
#include "runners/launch/mpirun_command.hpp"
#include "runners/launch/srun_command.hpp"

namespace iddl::launch {
RunFolders run_folders(const matrix::Sweep& sweep, const matrix::PlannedRun& run, const SweepOptions& options) {
  const auto under = [&](const std::filesystem::path& root) {
    return std::filesystem::absolute(root / sweep.name / run.key).lexically_normal().string();
  };
  RunFolders folders;
  if (matrix::checkpoint_policy(run.config).enabled())
    folders.checkpoints = under(options.checkpoint_dir.empty() ? options.db_path + ".checkpoints" : options.checkpoint_dir);
  if (run.config.at("save_model").get<bool>()) folders.models = under(options.db_path + ".models");
  return folders;
}

nlohmann::json spec_of(const matrix::Sweep& sweep, const matrix::PlannedRun& run, const SweepOptions& options) {
  nlohmann::json spec = {{"sweep", sweep.name}, {"run_key", run.key}, {"repeat", run.repeat}, {"config", run.config}};
  const RunFolders folders = run_folders(sweep, run, options);
  if (!folders.checkpoints.empty()) spec["checkpoint_dir"] = folders.checkpoints;
  if (!folders.models.empty()) spec["model_dir"] = folders.models;
  return spec;
}

std::string describe(const matrix::Sweep& sweep, const nlohmann::json& config) {
  std::vector<std::string> settings;
  for (const auto& name : sweep.varying) settings.push_back(name + "=" + matrix::setting_label(name, config.at(name)));
  return settings.empty() ? "(base settings)" : fmt::format("{}", fmt::join(settings, " "));
}

std::string run_label(const matrix::Sweep& sweep, const matrix::PlannedRun& run) {
  return fmt::format("[{}/{}] {} {}", &run - sweep.runs.data() + 1, sweep.runs.size(), run.key,
                     describe(sweep, run.config));
}

RunCommands::RunCommands(const matrix::Sweep& sweep, const SweepOptions& options, const hardware::BlasChoice& blas)
    : sweep_(sweep),
      options_(options),
      blas_(blas),
      launcher_(launcher_of(sweep, options)),
      ranks_stay_here_(launch::ranks_stay_here(sweep, options)),
      cores(static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
      device_facts(hardware::this_process_device_facts()),
      gpus(device_facts.visible_gpus),
      jobs(std::max(1, options.jobs > 0 ? options.jobs : sweep.launch.jobs)) {}

int RunCommands::threads_for(const matrix::PlannedRun& run) const {
  return hardware::threads_per_rank(run.config.at("threads").get<int>(), run.config.at("ranks").get<int>(),
                                    std::max(1, cores / jobs));
}

hardware::SlotRequest RunCommands::request_for(const matrix::PlannedRun& run) const {
  if (!ranks_stay_here_) return {1, 0};  // placed by mpirun's hosts or by Slurm: only jobs limits them
  const int ranks = run.config.at("ranks").get<int>();
  const int threads = threads_for(run);
  const bool wants_gpus = hardware::uses_cuda(run.config.at("device").get<std::string>(), device_facts);
  return {ranks * threads, wants_gpus ? ranks : 0};
}

std::vector<std::string> RunCommands::command_for(const matrix::PlannedRun& run, const hardware::Slot& slot,
                                                  const std::string& spec_file) const {
  const std::string spec = spec_of(sweep_, run, options_).dump();
  if (launcher_ == matrix::Launcher::Srun) {
    SrunOptions o;
    o.train_exe = options_.bin_dir + "/iddl-train";
    o.ranks = run.config.at("ranks").get<int>();
    o.threads_per_rank = threads_for(run);
    o.gpus_per_rank = hardware::uses_cuda(run.config.at("device").get<std::string>(), device_facts) ? 1 : 0;
    o.blas_coretype = blas_.coretype_env;
    return srun_argv(o, spec);
  }
  MpirunOptions o;
  o.mpirun = options_.mpirun;
  o.train_exe = options_.bin_dir + "/iddl-train";
  o.ranks = run.config.at("ranks").get<int>();
  o.threads_per_rank = threads_for(run);
  o.cores = slot.cores;
  o.gpus = slot.gpus;
  o.as_root = geteuid() == 0;
  o.blas_coretype = blas_.coretype_env;
  o.extra_args = sweep_.launch.mpirun_args;
  o.hosts = sweep_.launch.hosts;
  o.hostfile = sweep_.launch.hostfile;
  if (ranks_stay_here_) o.spec_file = spec_file;
  return mpirun_argv(o, spec);
}

hardware::SlotScheduler RunCommands::slot_scheduler() const {
  return hardware::SlotScheduler(cores, gpus, gpu_policy_of(sweep_, options_),
                                 gpus > 0 ? hardware::read_gpu_topology() : hardware::GpuTopology{});
}

}  // namespace iddl::launch
