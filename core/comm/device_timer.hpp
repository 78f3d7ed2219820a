#pragma once
#include <torch/torch.h>

#include <chrono>
#include <memory>

namespace iddl::comm {

namespace cuda {
struct StreamMark;
}

// The work of a DeviceTimer from its start to a stop(), timed once the device has done it.
class DeviceSpan {
 public:
  // Whether the device has done the span's work, so that seconds() does not wait; never blocks.
  bool done() const;
  // Blocks until the device has done the span's work.
  void wait() const;
  // The span's seconds (waits for its work on CUDA).
  double seconds() const;

 private:
  friend class DeviceTimer;
  double host_seconds_ = 0.0;                    // CPU
  std::shared_ptr<cuda::StreamMark> start_, end_;  // CUDA
};

// Seconds of work on one device, started once the work queued before it is done: the steady clock on the
// CPU; on CUDA, events on LibTorch's current stream, so that kernels still running from before are not
// counted and kernels launched since are (not just their launches). Copies share the start.
class DeviceTimer {
 public:
  explicit DeviceTimer(const torch::Device& device);
  // Seconds since the start, once the work queued on the device since is done (waits for it on CUDA).
  double seconds() const;
  // Ends a span now without waiting: on CUDA it covers the work queued on the stream until now.
  DeviceSpan stop() const;

 private:
  std::chrono::steady_clock::time_point start_;
  std::shared_ptr<cuda::StreamMark> mark_;  // CUDA only
};

}  // namespace iddl::comm
