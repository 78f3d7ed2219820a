#pragma once
#include <ostream>
#include <string>

#include "matrix/sweep_file.hpp"

namespace iddl::launch {

// Where and how `iddl-sweep run` launches the runs of a sweep.
struct SweepOptions {
  std::string db_path = "iddl.db";
  std::string bin_dir;           // holds iddl-train and iddl-blas-probe
  std::string mpirun = "mpirun";
  std::string blas_coretype;     // the user's OpenBLAS kernel, "" to let IDDL choose
};

// What happened to the runs of a sweep in one invocation.
struct SweepOutcome {
  int done = 0;
  int failed = 0;
  int skipped = 0;  // already done before this invocation
};

// Launches every run of `sweep` that is not done yet, one after the other, recording all events
// in the database; a failed run is recorded with its exit code and stderr tail and the sweep goes
// on. Throws std::runtime_error before launching anything when a dataset's files are missing.
SweepOutcome run_sweep(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log);

}  // namespace iddl::launch
