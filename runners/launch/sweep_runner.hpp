#pragma once
#include <ostream>

#include "matrix/sweep_file.hpp"
#include "runners/launch/sweep_options.hpp"

namespace iddl::launch {

// Launches the runs of `sweep` that need running (pending and interrupted ones, plus failed,
// timed-out or done ones when asked), up to `jobs` at once on disjoint cores, recording every
// event in the database. A failed or timed-out run is recorded with its reason and stderr tail and
// the sweep goes on; SIGINT/SIGTERM stops the runs in flight and marks them interrupted. Throws
// std::runtime_error before launching anything when a dataset's files are missing, or a run on this
// machine has more ranks than it has cores unless oversubscription was asked for, --only or --where matches no
// run, or the database holds a sweep of this name from another file or matrix unless into_existing
// (register_plan), and SweepLockHeld when
// another process is running the same sweep on the same database file. With the sbatch launcher it writes
// the sweep's job-array files instead (docs/launchers.md), submits them when sbatch is on PATH and, unless
// no_wait, follows the job array, storing each task's results as it ends (first following, or collecting,
// the array this sweep was submitted as before); with dry_run it prints the command of every run that
// would run, and touches nothing.
SweepOutcome run_sweep(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log);

}  // namespace iddl::launch
