#include "runners/launch/sbatch_job.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "runners/launch/command_text.hpp"

namespace iddl::launch {
namespace fs = std::filesystem;

SbatchFiles sbatch_files(const std::string& folder, const std::string& sweep) {
  const fs::path dir = fs::absolute(folder);
  return {(dir / (sweep + ".sbatch")).string(), (dir / (sweep + ".runs.jsonl")).string(),
          (dir / (sweep + ".journals")).string()};
}

std::string sbatch_script(const SbatchJob& job) {
  std::string text = fmt::format(
      "#!/bin/bash\n"
      "# IDDL sweep {0}: {1} runs as one Slurm job array; task i runs line i (0-based) of {2}\n"
      "# and writes its events to {3}/<run_key>.jsonl; merge them with: iddl-sweep collect --db DB {3}\n"
      "#SBATCH --job-name=iddl-{0}\n#SBATCH --array=0-{4}\n#SBATCH --ntasks={5}\n#SBATCH --cpus-per-task={6}\n",
      job.sweep, job.tasks, job.files.run_list, job.files.journal_dir, job.tasks - 1, job.ranks, job.cpus_per_task);
  text += fmt::format("#SBATCH --output={}/slurm-%A_%a.out\n", job.files.journal_dir);
  if (job.gpus_per_task > 0) text += fmt::format("#SBATCH --gpus-per-task={}\n", job.gpus_per_task);
  if (job.time_minutes > 0) text += fmt::format("#SBATCH --time={}\n", job.time_minutes);
  for (const auto& arg : job.sbatch_args) text += "#SBATCH " + arg + "\n";
  std::vector<std::string> task{job.sweep_exe, "task", "--runs", job.files.run_list, "--journals", job.files.journal_dir};
  if (!job.blas_coretype.empty()) task.insert(task.end(), {"--blas-coretype", job.blas_coretype});
  // IDDL_TASK_OFFSET (sbatch --export) shifts the indices, for sweeps larger than Slurm's MaxArraySize.
  return text + "set -eu\nexec " + command_text(task) +
         " --index \"$((SLURM_ARRAY_TASK_ID + ${IDDL_TASK_OFFSET:-0}))\"\n";
}

void write_sbatch_job(const SbatchJob& job, const std::vector<nlohmann::json>& specs) {
  fs::create_directories(job.files.journal_dir);
  std::ofstream list(job.files.run_list, std::ios::trunc);
  for (const auto& spec : specs) list << spec.dump() << "\n";
  std::ofstream script(job.files.script, std::ios::trunc);
  script << sbatch_script(job);
  if (!list.flush() || !script.flush())
    throw std::runtime_error(fmt::format("cannot write '{}' and '{}'", job.files.run_list, job.files.script));
  fs::permissions(job.files.script, fs::perms::owner_exec, fs::perm_options::add);
}

}  // namespace iddl::launch
