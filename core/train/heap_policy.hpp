#pragma once
#include <cstdint>

namespace iddl::train {

// Makes the C heap keep and reuse freed buffers up to 1 GiB instead of returning each large one to
// the system (glibc serves blocks above 32 MiB by mmap, so a tensor of that size allocated every step
// costs fresh zeroed pages and their faults each time). Call once at process start; a no-op without glibc.
void keep_large_buffers_in_heap();

// Bytes of the C heap in use by this process's allocations (glibc: the main arena and its mmap'd
// blocks, where single-threaded LibTorch tensors live); 0 without glibc.
int64_t heap_bytes_in_use();

}  // namespace iddl::train
