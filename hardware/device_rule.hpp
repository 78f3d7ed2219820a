// Where a run's `device` setting trains: one rule for mpirun, srun, sbatch and iddl-train (docs/gpu.md).
#pragma once

#include <string>
#include <string_view>

namespace iddl::hardware {

// What decides a run's device on the machine that decides it.
struct DeviceFacts {
  int visible_gpus = 0;         // the GPUs the deciding process sees
  bool torch_has_cuda = false;  // the LibTorch IDDL is built against has CUDA
  bool nccl = false;            // IDDL is built with the NCCL backend (one GPU per rank)
};

// This process's facts: visible_gpu_count(), torch_has_cuda() and whether nccl_version() is not "none".
DeviceFacts this_process_device_facts();

// Whether a run with device setting `setting` ("auto", "cpu" or "cuda") trains on GPUs, and so reserves them: "cuda"
// always, "auto" when LibTorch has CUDA and a GPU is visible, "cpu" never. Throws std::invalid_argument for
// "cuda" when LibTorch has no CUDA.
bool uses_cuda(std::string_view setting, const DeviceFacts& facts);

// The warning for runs with device "auto" that train on the CPU although GPUs are visible (a LibTorch without
// CUDA), "" when GPUs are not visible or LibTorch has CUDA.
std::string cpu_fallback_warning(const DeviceFacts& facts);

// Throws std::invalid_argument when `ranks` ranks on one machine cannot have a GPU each among its visible ones, as
// NCCL needs (two ranks on one GPU fail or hang in ncclCommInitRank); without NCCL ranks may share GPUs.
void require_gpu_per_rank(int ranks, const DeviceFacts& facts);

}  // namespace iddl::hardware
