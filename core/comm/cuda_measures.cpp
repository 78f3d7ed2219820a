#include "core/comm/cuda_measures.hpp"

#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAStream.h>

namespace iddl::comm::cuda {

struct StreamMark {
  at::cuda::CUDAEvent event{cudaEventDefault};  // timing enabled
  int device = 0;
};

namespace {

constexpr auto kAggregate = static_cast<size_t>(c10::cuda::CUDACachingAllocator::StatType::AGGREGATE);

c10::cuda::CUDACachingAllocator::DeviceStats stats_of(int device) {
  return c10::cuda::CUDACachingAllocator::getDeviceStats(device);
}

}  // namespace

std::shared_ptr<StreamMark> mark_stream(int device) {
  auto mark = std::make_shared<StreamMark>();
  const at::cuda::CUDAStream stream = at::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device));
  mark->device = stream.device_index();
  mark->event.record(stream);
  return mark;
}

int device_of(const StreamMark& mark) { return mark.device; }

double seconds_since(const StreamMark& start) { return seconds_between(start, *mark_stream(start.device)); }

bool reached(const StreamMark& mark) { return mark.event.query(); }

void wait_until_reached(const StreamMark& mark) { mark.event.synchronize(); }

double seconds_between(const StreamMark& start, const StreamMark& end) {
  end.event.synchronize();
  return static_cast<double>(start.event.elapsed_time(end.event)) / 1000.0;
}

CUstream_st* current_stream(int device) {
  return at::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device)).stream();
}

int64_t allocated_bytes(int device) { return stats_of(device).allocated_bytes[kAggregate].current; }

int64_t peak_allocated_bytes(int device) { return stats_of(device).allocated_bytes[kAggregate].peak; }

void reset_peak_allocated(int device) { c10::cuda::CUDACachingAllocator::resetPeakStats(device); }

}  // namespace iddl::comm::cuda
