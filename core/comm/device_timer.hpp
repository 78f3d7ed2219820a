#pragma once
#include <torch/torch.h>

#include <chrono>
#include <memory>

namespace iddl::comm {

namespace cuda {
struct StreamMark;
}

// Seconds of work on one device, started once the work queued before it is done: the steady clock on the
// CPU; on CUDA, events on LibTorch's current stream, so that kernels still running from before are not
// counted and kernels launched since are (not just their launches). Copies share the start.
class DeviceTimer {
 public:
  explicit DeviceTimer(const torch::Device& device);
  // Seconds since the start, once the work queued on the device since is done (waits for it on CUDA).
  double seconds() const;

 private:
  std::chrono::steady_clock::time_point start_;
  std::shared_ptr<cuda::StreamMark> mark_;  // CUDA only
};

}  // namespace iddl::comm
