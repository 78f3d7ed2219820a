#pragma once
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/store.hpp"

namespace iddl::launch {

// What one run's journal (written by an array task) says.
struct Journal {
  std::string path;
  nlohmann::json task;                   // the "task" header: sweep, sweep_file, run_key, repeat, config, and under
                                         // Slurm slurm_job, slurm_task, restart
  std::vector<std::string> event_lines;  // the events iddl-train printed, in order
  std::optional<int> exit_code;          // from the "task_exit" line; none when the journal ends early
  std::string stderr_tail;               // from the "task_exit" line
};

// Reads a journal; throws std::runtime_error naming the file and line when its first line is not a task header
// (with a non-empty "sweep" and "run_key", a config that resolves) or a task_exit line has no exit code 0-255.
// Lines that are not JSON objects with an "event" string (e.g. cut short by a killed task) are skipped.
Journal read_journal(const std::string& path);

// How a journal ends the run: "done" with no error; "failed", "timeout" or "interrupted" with the reason;
// "running" while Slurm still runs its task.
struct JournalOutcome {
  std::string status;
  std::string error;
};

// The outcome of a journal, as a live run would end: done after run_finished and exit 0; else, by the state
// Slurm reports for its task (`slurm_state`, "" when unknown): running while PENDING, RUNNING or the like,
// timeout after TIMEOUT, interrupted after CANCELLED or PREEMPTED; else failed with the run's error event, the
// Slurm state that ended it, the exit code, or "no run_finished" when the journal ends early.
JournalOutcome journal_outcome(const Journal& journal, const std::string& slurm_state = "");

// Stores the run of `journal` (row `run_id` of the database at `store.path()`) with `outcome`, through the same
// event handling as a live run, unless it is stored so already (same status, error and epoch count); returns
// whether it stored it. A done journal with an event the store refuses is stored failed, and `outcome` says why.
bool store_journal(results::Store& store, int64_t run_id, const Journal& journal, JournalOutcome& outcome);

// What collect_journals did.
struct CollectOutcome {
  int done = 0;       // runs stored as done
  int failed = 0;     // runs stored as failed
  int timed_out = 0;  // runs stored as timeout (their Slurm task hit its time limit)
  int interrupted = 0;  // runs stored as interrupted (their Slurm task was cancelled)
  int running = 0;    // runs whose Slurm task still runs: their events so far are stored
  int unchanged = 0;  // journals whose run was stored with this outcome already
};

// Stores every <run_key>.jsonl journal in `dirs` in the database at `db_path`, through the same store and
// event handling as a live run: the sweep and run rows are added when missing, and a run whose stored status,
// error and epoch count already match its journal is left untouched (collecting twice changes nothing). A journal
// that ends early is judged by its task's state in Slurm when the task header names its job and squeue is on PATH.
// Takes each sweep's lock like `iddl-sweep run`; throws std::runtime_error for a missing folder or a bad journal.
CollectOutcome collect_journals(const std::string& db_path, const std::vector<std::string>& dirs, std::ostream& log);

}  // namespace iddl::launch
