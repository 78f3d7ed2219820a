#include "hardware/device_rule.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "hardware/gpu_info.hpp"
#include "hardware/software_info.hpp"

namespace iddl::hardware {

DeviceFacts this_process_device_facts() {
  return {visible_gpu_count(), torch_has_cuda(), nccl_version() != "none"};
}

bool uses_cuda(std::string_view setting, const DeviceFacts& facts) {
  if (setting == "cuda" && !facts.torch_has_cuda)
    throw std::invalid_argument(fmt::format(
        "device = \"cuda\", but this IDDL is built against LibTorch {} without CUDA: build it against a CUDA "
        "LibTorch (docs/gpu.md), or use device = \"auto\" or \"cpu\"",
        torch_version()));
  if (setting == "cuda") return true;
  return setting == "auto" && facts.torch_has_cuda && facts.visible_gpus > 0;
}

std::string cpu_fallback_warning(const DeviceFacts& facts) {
  if (facts.visible_gpus == 0 || facts.torch_has_cuda) return "";
  return fmt::format(
      "warning: {} GPU(s) visible, but this IDDL is built against LibTorch {} without CUDA: runs with device = "
      "\"auto\" train on the CPU and record device = cpu (build against a CUDA LibTorch to use the GPUs: docs/gpu.md)",
      facts.visible_gpus, torch_version());
}

void require_gpu_per_rank(int ranks, const DeviceFacts& facts) {
  if (facts.visible_gpus == 0)
    throw std::invalid_argument("device = \"cuda\", but no GPU is visible here (nvidia-smi, CUDA_VISIBLE_DEVICES)");
  if (facts.nccl && ranks > facts.visible_gpus)
    throw std::invalid_argument(fmt::format(
        "{} ranks on CUDA but {} GPU(s) visible here: NCCL needs one GPU per rank (at most {} ranks, or more "
        "machines through [launch] hosts or Slurm)",
        ranks, facts.visible_gpus, facts.visible_gpus));
}

}  // namespace iddl::hardware
