// `iddl-sweep run --dry-run`: the commands the runs that need running would get.
#pragma once
#include <ostream>

#include "matrix/sweep_file.hpp"
#include "runners/launch/sweep_options.hpp"

namespace iddl::launch {

// Prints the command of every run that needs running, on the cores it would get, or with the sbatch launcher the
// command of each array task; writes nothing and launches no run.
SweepOutcome print_dry_run(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log);

}  // namespace iddl::launch
