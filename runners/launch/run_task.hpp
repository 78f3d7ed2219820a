#pragma once
#include <ostream>
#include <string>

namespace iddl::launch {

// One array task of a sweep's Slurm job array.
struct TaskOptions {
  std::string run_list;     // the run list file: one run spec per line (with "sweep_file")
  int index = -1;           // the 0-based line to run ($SLURM_ARRAY_TASK_ID)
  std::string journal_dir;  // where the run's journal <run_key>.jsonl is written
  std::string bin_dir;      // holds iddl-train
  std::string srun = "srun";
  std::string blas_coretype;  // OPENBLAS_CORETYPE for the ranks; "": the node's default
};

// Runs line `index` of the run list as `srun ... iddl-train` and writes its journal: a "task" header
// (sweep, sweep_file, run_key, repeat, config, index, host; under Slurm slurm_job, slurm_task, restart), every event iddl-train prints, flushed per line, then a
// "task_exit" line (exit_code, stderr_tail). Returns 0 when the run finished, 1 otherwise; throws
// std::runtime_error when the line does not exist or the journal cannot be written.
int run_task(const TaskOptions& options, std::ostream& log);

}  // namespace iddl::launch
