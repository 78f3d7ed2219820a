#include "runners/launch/sweep_options.hpp"

#include <fmt/format.h>

namespace iddl::launch {

hardware::GpuPolicy gpu_policy_of(const matrix::Sweep& sweep, const SweepOptions& options) {
  return options.gpu_policy.value_or(sweep.launch.gpu_policy);
}

matrix::Launcher launcher_of(const matrix::Sweep& sweep, const SweepOptions& options) {
  return options.launcher.value_or(sweep.launch.launcher);
}

double timeout_of(const matrix::Sweep& sweep, const SweepOptions& options) {
  return options.timeout_s >= 0 ? options.timeout_s : sweep.launch.timeout_s;
}

bool ranks_stay_here(const matrix::Sweep& sweep, const SweepOptions& options) {
  return launcher_of(sweep, options) == matrix::Launcher::Mpirun && sweep.launch.hosts.empty() &&
         sweep.launch.hostfile.empty();
}

std::string outcome_summary(const matrix::Sweep& sweep, const SweepOutcome& outcome, const std::string& db_path) {
  return fmt::format("sweep {}: {} done, {} failed, {} timed out, {} interrupted, {} not run again; results in {}",
                     sweep.name, outcome.done, outcome.failed, outcome.timed_out, outcome.interrupted, outcome.skipped,
                     db_path);
}

}  // namespace iddl::launch
