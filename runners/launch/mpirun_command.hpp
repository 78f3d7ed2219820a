#pragma once
#include <string>
#include <vector>

namespace iddl::launch {

// How one run is started under mpirun on this machine.
struct MpirunOptions {
  std::string mpirun = "mpirun";          // the launcher executable (path or name on PATH)
  std::string train_exe;                  // path of iddl-train
  int ranks = 1;
  int threads_per_rank = 1;
  std::vector<int> cores;                 // the cores the run may use (mpirun --cpu-set); empty: any
  std::vector<int> gpus;                  // the GPUs it may use (CUDA_VISIBLE_DEVICES); empty: none set
  bool as_root = false;                   // adds --allow-run-as-root (Open MPI refuses root otherwise)
  std::string blas_coretype;              // exported as OPENBLAS_CORETYPE to every rank when not empty
  std::vector<std::string> extra_args;    // the sweep's [launch] mpirun_args, before the program
  std::vector<std::string> hosts;         // mpirun --host entries ("a:4"); with hosts or hostfile, no --cpu-set
  std::string hostfile;                   // mpirun --hostfile; "": none
  std::string spec_file;                  // the run spec's file (--spec FILE instead of --spec-json); "": none
};

// The argument vector `mpirun ... iddl-train --threads T --spec-json SPEC` (or `--spec FILE` with a spec_file:
// one argument is limited to 128 KiB) (never a shell string), exporting
// CUDA_DEVICE_ORDER=PCI_BUS_ID to every rank; the cores of this machine (--cpu-set) only when the ranks stay
// on it (no hosts, no hostfile).
std::vector<std::string> mpirun_argv(const MpirunOptions& options, const std::string& spec_json);

}  // namespace iddl::launch
