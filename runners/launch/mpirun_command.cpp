#include "runners/launch/mpirun_command.hpp"

#include "hardware/thread_budget.hpp"

namespace iddl::launch {

std::vector<std::string> mpirun_argv(const MpirunOptions& o, const std::string& spec_json) {
  std::vector<std::string> argv{o.mpirun, "-np", std::to_string(o.ranks), "--oversubscribe"};
  if (o.as_root) argv.push_back("--allow-run-as-root");
  argv.insert(argv.end(), {"--bind-to", hardware::needs_unbound_ranks(o.threads_per_rank) ? "none" : "core"});
  argv.insert(argv.end(), {"-x", "OMP_NUM_THREADS=" + std::to_string(o.threads_per_rank)});
  if (!o.blas_coretype.empty()) argv.insert(argv.end(), {"-x", "OPENBLAS_CORETYPE=" + o.blas_coretype});
  argv.insert(argv.end(), {o.train_exe, "--spec-json", spec_json});
  return argv;
}

}  // namespace iddl::launch
