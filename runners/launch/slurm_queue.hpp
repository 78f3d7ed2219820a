#pragma once
#include <map>
#include <string>

namespace iddl::launch {

// One array task as Slurm reports it.
struct SlurmTask {
  std::string state;  // PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, ...
  std::string where;  // the node it runs on, or why it waits
};

// The tasks of the job array `job_id` by index: those squeue (--states=all) still lists, then, when accounting is
// configured, the ones only sacct remembers. {} when neither knows the job; throws std::runtime_error when squeue
// is not on PATH or gives no answer (e.g. slurmctld does not respond).
std::map<int, SlurmTask> slurm_array_tasks(const std::string& job_id);

// Whether a task in `state` has ended (Slurm may still requeue it).
bool slurm_task_ended(const std::string& state);

// Submits `script` with `sbatch --parsable`; returns the job id, or throws with sbatch's error.
std::string sbatch_submit(const std::string& script);

}  // namespace iddl::launch
