#include "runners/launch/srun_command.hpp"

#include <cstdlib>

namespace iddl::launch {

std::vector<std::string> srun_argv(const SrunOptions& o, const std::string& spec_json) {
  const std::string threads = std::to_string(o.threads_per_rank);
  std::vector<std::string> argv{o.srun, "--ntasks=" + std::to_string(o.ranks), "--cpus-per-task=" + threads,
                                "--kill-on-bad-exit=1"};
  // Open MPI's ranks find each other through PMIx; a site's own choice in SLURM_MPI_TYPE wins.
  if (std::getenv("SLURM_MPI_TYPE") == nullptr) argv.insert(argv.begin() + 1, "--mpi=pmix");
  if (o.gpus_per_rank > 0) argv.push_back("--gpus-per-task=" + std::to_string(o.gpus_per_rank));
  // CUDA then numbers the GPUs in PCI bus order, as NVML and nvidia-smi do.
  std::string exports = "--export=ALL,OMP_NUM_THREADS=" + threads + ",CUDA_DEVICE_ORDER=PCI_BUS_ID";
  if (!o.blas_coretype.empty()) exports += ",OPENBLAS_CORETYPE=" + o.blas_coretype;
  argv.push_back(exports);
  argv.insert(argv.end(), {o.train_exe, "--threads", threads, "--spec-json", spec_json});
  return argv;
}

}  // namespace iddl::launch
