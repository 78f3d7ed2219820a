#pragma once
#include <string>
#include <vector>

namespace iddl::launch {

// How one run is started as a Slurm job step (inside an allocation or an array task).
struct SrunOptions {
  std::string srun = "srun";   // the srun executable (path or name on PATH)
  std::string train_exe;       // path of iddl-train
  int ranks = 1;               // --ntasks
  int threads_per_rank = 1;    // --cpus-per-task and OMP_NUM_THREADS
  int gpus_per_rank = 0;       // --gpus-per-task when > 0
  std::string blas_coretype;   // exported as OPENBLAS_CORETYPE when not empty
};

// The argument vector `srun --mpi=pmix --ntasks=R --cpus-per-task=T --kill-on-bad-exit=1 ... iddl-train --threads T
// --spec-json SPEC` (never a shell string), exporting CUDA_DEVICE_ORDER=PCI_BUS_ID to every rank; without
// --mpi when SLURM_MPI_TYPE is set (srun then uses that plugin).
std::vector<std::string> srun_argv(const SrunOptions& options, const std::string& spec_json);

}  // namespace iddl::launch
