#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace iddl::launch {

// The files of one sweep's Slurm job array, in one folder the compute nodes see.
struct SbatchFiles {
  std::string script;       // <folder>/<sweep>.sbatch: the job-array script
  std::string run_list;     // <folder>/<sweep>.runs.jsonl: one run spec per line, line i for array task i
  std::string journal_dir;  // <folder>/<sweep>.journals: one <run_key>.jsonl event journal per run
};

// The absolute paths of the job-array files of `sweep` in `folder`.
SbatchFiles sbatch_files(const std::string& folder, const std::string& sweep);

// What the job-array script asks of Slurm and runs.
struct SbatchJob {
  std::string sweep;
  int tasks = 0;                         // array tasks, one per run: --array=0-(tasks-1)
  int ranks = 1;                         // --ntasks: the most ranks of any run
  int cpus_per_task = 1;                 // --cpus-per-task: threads per rank
  int gpus_per_task = 0;                 // --gpus-per-task when > 0
  int time_minutes = 0;                  // --time (Slurm counts whole minutes) when > 0: the sweep's timeout
  std::vector<std::string> sbatch_args;  // the sweep's [launch] sbatch_args, after IDDL's own lines (so they win)
  std::string sweep_exe;                 // absolute path of iddl-sweep, which runs each task
  std::string blas_coretype;             // passed to every task when not empty
  SbatchFiles files;
};

// The text of the job-array script: #SBATCH lines (Slurm's own output of task i goes to
// <journal dir>/slurm-<job>_<i>.out), then `iddl-sweep task` for run
// $SLURM_ARRAY_TASK_ID + $IDDL_TASK_OFFSET (0 when unset).
std::string sbatch_script(const SbatchJob& job);

// Writes the run list (`specs`, one JSON object per line), the script and the journal folder.
void write_sbatch_job(const SbatchJob& job, const std::vector<nlohmann::json>& specs);

}  // namespace iddl::launch
