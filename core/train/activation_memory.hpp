#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace iddl::train {

// The most memory a stretch of work (one training step) held above its start on one device: the C heap,
// sampled, on the CPU (where single-threaded LibTorch tensors live); the caching allocator's own peak on CUDA.
class ActivationMemory {
 public:
  // Starts at what `device` holds now (on CUDA it restarts the allocator's peak).
  explicit ActivationMemory(const torch::Device& device);
  // Takes a reading where use may be highest (the CPU's peak is the highest reading; CUDA needs none).
  void sample();
  // The most bytes held above the start so far.
  int64_t peak_bytes() const;

 private:
  torch::Device device_;
  int64_t start_ = 0;
  int64_t peak_ = 0;  // CPU: the highest reading above the start
};

}  // namespace iddl::train
