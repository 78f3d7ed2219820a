// What an `iddl-sweep run` invocation is asked to do, and what came of it.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "hardware/gpu_placement.hpp"
#include "matrix/launcher.hpp"
#include "matrix/sweep_file.hpp"

namespace iddl::launch {

// Where and how `iddl-sweep run` launches the runs of a sweep.
struct SweepOptions {
  std::string db_path = "iddl.db";
  std::string bin_dir;            // holds iddl-train and iddl-blas-probe
  std::string mpirun = "mpirun";
  std::string blas_coretype;      // the user's OpenBLAS kernel, "" to let IDDL choose
  int jobs = 0;                   // runs at once; 0: the sweep's [launch] jobs
  double timeout_s = -1;          // per-run limit in seconds; < 0: the sweep's [launch] timeout (0 = none)
  bool force = false;             // run done runs again too
  bool retry_failed = false;      // run failed and timed-out runs again too
  bool live_progress = false;     // redraw one line per run in flight (for a terminal)
  std::optional<hardware::GpuPolicy> gpu_policy;  // which free GPUs a run gets (docs/hardware.md); none: the sweep's
  std::optional<matrix::Launcher> launcher;       // none: the sweep's [launch] launcher
  bool dry_run = false;           // print each run's command instead of running it; no database is written
  bool oversubscribe = false;     // allow runs with more ranks than this machine has cores (else [launch] oversubscribe)
  std::string job_dir;            // sbatch: folder of the script, run list and journals; "": the database's
  bool no_wait = false;           // sbatch: submit and return; `iddl-sweep collect` stores the journals later
  double poll_s = 10;             // sbatch: seconds between two squeue calls while following the job array
  std::string checkpoint_dir;     // root of the runs' checkpoint folders; "": <db>.checkpoints (docs/checkpoints.md)
  std::vector<std::string> only;  // --only: only the runs with these run keys (each must be planned)
  std::string where;              // --where: only the runs matching this SQL expression over the runs columns ("": all)
  bool into_existing = false;     // add the runs to a stored sweep of this name from another file or matrix
};

// What happened to the runs of a sweep in one invocation.
struct SweepOutcome {
  int done = 0;
  int failed = 0;
  int timed_out = 0;
  int interrupted = 0;
  int skipped = 0;              // not run: done, or failed without --retry-failed
  bool stopped_by_signal = false;
  double wall_seconds = 0.0;    // the whole invocation, from the first launch to the last exit
  double child_seconds = 0.0;   // the runs' own processes (mpirun), summed
};

// The GPU policy of an invocation: options.gpu_policy (--gpu-policy) when set, else the sweep's [launch] gpu_policy.
hardware::GpuPolicy gpu_policy_of(const matrix::Sweep& sweep, const SweepOptions& options);

// The launcher of an invocation: options.launcher (--launcher) when set, else the sweep's [launch] launcher.
matrix::Launcher launcher_of(const matrix::Sweep& sweep, const SweepOptions& options);

// The per-run time limit in seconds of an invocation (0: none): --timeout, else the sweep's [launch] timeout.
double timeout_of(const matrix::Sweep& sweep, const SweepOptions& options);

// Whether the runs' ranks start on this machine's cores: mpirun without [launch] hosts or hostfile.
bool ranks_stay_here(const matrix::Sweep& sweep, const SweepOptions& options);

// "sweep S: N done, N failed, N timed out, N interrupted, N not run again; results in DB".
std::string outcome_summary(const matrix::Sweep& sweep, const SweepOutcome& outcome, const std::string& db_path);

}  // namespace iddl::launch
