#pragma once
#include <cstdint>
#include <memory>

struct CUstream_st;  // a cudaStream_t points to one

namespace iddl::comm::cuda {

// LibTorch's CUDA timing and memory figures (c10_cuda): linked only into an IDDL built against a CUDA LibTorch
// (IDDL_HAVE_CUDA_MEASURES); elsewhere compiled, not linked, so that it keeps building (docs/gpu.md).

// A point on the current CUDA stream of `device`: reached once the work queued before it is done.
struct StreamMark;

// Records a mark on the current stream of `device` (-1: the current device).
std::shared_ptr<StreamMark> mark_stream(int device);
// The device of the stream `mark` was recorded on.
int device_of(const StreamMark& mark);
// Seconds between `start` and a mark recorded now on the same stream, once that mark is reached.
double seconds_since(const StreamMark& start);
// Whether `mark` is reached (never blocks).
bool reached(const StreamMark& mark);
// Blocks until `mark` is reached.
void wait_until_reached(const StreamMark& mark);
// Seconds between two marks of one stream, once `end` is reached.
double seconds_between(const StreamMark& start, const StreamMark& end);

// LibTorch's current CUDA stream of `device` (-1: the current device), on which NCCL queues its collectives.
CUstream_st* current_stream(int device);

// Bytes the caching allocator has handed out on `device` now.
int64_t allocated_bytes(int device);
// The most bytes the caching allocator has handed out on `device` since reset_peak_allocated(device).
int64_t peak_allocated_bytes(int device);
// Starts a new peak at the current allocation.
void reset_peak_allocated(int device);

}  // namespace iddl::comm::cuda
