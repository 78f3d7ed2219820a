#include "core/train/activation_memory.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/comm/cuda_measures.hpp"
#include "core/train/heap_policy.hpp"

namespace iddl::train {

ActivationMemory::ActivationMemory(const torch::Device& device) : device_(device) {
  if (!device_.is_cuda()) {
    start_ = heap_bytes_in_use();
    return;
  }
#ifdef IDDL_HAVE_CUDA_MEASURES
  comm::cuda::reset_peak_allocated(device_.index());
  start_ = comm::cuda::allocated_bytes(device_.index());
#else
  throw std::logic_error("ActivationMemory: a CUDA device in an IDDL built against a LibTorch without CUDA");
#endif
}

void ActivationMemory::sample() {
  if (!device_.is_cuda()) peak_ = std::max(peak_, heap_bytes_in_use() - start_);
}

int64_t ActivationMemory::peak_bytes() const {
#ifdef IDDL_HAVE_CUDA_MEASURES
  if (device_.is_cuda()) return comm::cuda::peak_allocated_bytes(device_.index()) - start_;
#endif
  return peak_;
}

}  // namespace iddl::train
