#include "runners/launch/mpirun_command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hardware/thread_budget.hpp"

namespace iddl::launch {

std::vector<std::string> mpirun_argv(const MpirunOptions& o, const std::string& spec_json) {
  std::vector<std::string> argv{o.mpirun, "-np", std::to_string(o.ranks), "--oversubscribe"};
  if (o.as_root) argv.push_back("--allow-run-as-root");
  const bool this_machine = o.hosts.empty() && o.hostfile.empty();
  if (!o.hostfile.empty()) argv.insert(argv.end(), {"--hostfile", o.hostfile});
  if (!o.hosts.empty()) {
    argv.insert(argv.end(), {"--host", fmt::format("{}", fmt::join(o.hosts, ","))});
  }
  if (this_machine && !o.cores.empty())
    argv.insert(argv.end(), {"--cpu-set", fmt::format("{}", fmt::join(o.cores, ","))});
  argv.insert(argv.end(), {"--bind-to", hardware::needs_unbound_ranks(o.threads_per_rank) ? "none" : "core"});
  argv.insert(argv.end(), {"-x", "OMP_NUM_THREADS=" + std::to_string(o.threads_per_rank)});
  if (!o.blas_coretype.empty()) argv.insert(argv.end(), {"-x", "OPENBLAS_CORETYPE=" + o.blas_coretype});
  // CUDA numbers the GPUs of CUDA_VISIBLE_DEVICES as NVML and nvidia-smi do, which the GPU placement uses.
  argv.insert(argv.end(), {"-x", "CUDA_DEVICE_ORDER=PCI_BUS_ID"});
  if (!o.gpus.empty()) argv.insert(argv.end(), {"-x", fmt::format("CUDA_VISIBLE_DEVICES={}", fmt::join(o.gpus, ","))});
  argv.insert(argv.end(), o.extra_args.begin(), o.extra_args.end());
  argv.insert(argv.end(), {o.train_exe, "--threads", std::to_string(o.threads_per_rank)});
  if (o.spec_file.empty()) {
    argv.insert(argv.end(), {"--spec-json", spec_json});
  } else {
    argv.insert(argv.end(), {"--spec", o.spec_file});
  }
  return argv;
}

}  // namespace iddl::launch
