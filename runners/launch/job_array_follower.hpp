#pragma once
#include <map>
#include <ostream>
#include <string>

#include "results/store.hpp"
#include "runners/launch/slurm_job_record.hpp"
#include "runners/launch/sweep_runner.hpp"

namespace iddl::launch {

// How `iddl-sweep run` follows a sweep's Slurm job array.
struct FollowOptions {
  double poll_s = 10;          // seconds between two questions to Slurm (squeue)
  bool live_progress = false;  // redraw one line per running task (for a terminal)
};

// Follows the job array of `record` until every task has ended: shows the job's task states, each task's state
// changes and the epochs of running tasks (read from their journals), marks a run running when its task starts,
// and stores each task's journal in `store` (runs of the sweep row `sweep_id`) as the task ends, judged by its
// Slurm state (journal_outcome). A task that ended before it started leaves its run as it was; a requeued task is
// stored once, when it ends for good. `labels` names each run key. SIGINT/SIGTERM stop the following, not the job
// (stopped_by_signal). Throws std::runtime_error when squeue is not on PATH.
SweepOutcome follow_job_array(results::Store& store, int64_t sweep_id, const SlurmJobRecord& record,
                              const std::map<std::string, std::string>& labels, const FollowOptions& options,
                              std::ostream& log);

// Whether Slurm still has a task of the record's job pending or running (false when squeue is not on PATH); throws
// std::runtime_error when Slurm gives no answer.
bool job_array_active(const SlurmJobRecord& record);

// For `iddl-sweep status`: the record's job id and when it was submitted, its tasks counted by Slurm state, and one
// line per task (index, run key, state, node or reason); says so when Slurm cannot be asked or no longer knows it.
std::string job_array_status(const SlurmJobRecord& record);

}  // namespace iddl::launch
