#include "core/comm/device_timer.hpp"

#include <stdexcept>

#include "core/comm/cuda_measures.hpp"
#include "core/comm/stopwatch.hpp"

namespace iddl::comm {

DeviceTimer::DeviceTimer(const torch::Device& device) : start_(std::chrono::steady_clock::now()) {
  if (!device.is_cuda()) return;
#ifdef IDDL_HAVE_CUDA_MEASURES
  mark_ = cuda::mark_stream(device.index());
#else
  throw std::logic_error("DeviceTimer: a CUDA device in an IDDL built against a LibTorch without CUDA");
#endif
}

double DeviceTimer::seconds() const {
#ifdef IDDL_HAVE_CUDA_MEASURES
  if (mark_) return cuda::seconds_since(*mark_);
#endif
  return seconds_since(start_);
}

DeviceSpan DeviceTimer::stop() const {
  DeviceSpan span;
#ifdef IDDL_HAVE_CUDA_MEASURES
  if (mark_) {
    span.start_ = mark_;
    span.end_ = cuda::mark_stream(cuda::device_of(*mark_));
    return span;
  }
#endif
  span.host_seconds_ = seconds_since(start_);
  return span;
}

bool DeviceSpan::done() const {
#ifdef IDDL_HAVE_CUDA_MEASURES
  if (end_) return cuda::reached(*end_);
#endif
  return true;
}

void DeviceSpan::wait() const {
#ifdef IDDL_HAVE_CUDA_MEASURES
  if (end_) cuda::wait_until_reached(*end_);
#endif
}

double DeviceSpan::seconds() const {
#ifdef IDDL_HAVE_CUDA_MEASURES
  if (end_) return cuda::seconds_between(*start_, *end_);
#endif
  return host_seconds_;
}

}  // namespace iddl::comm
