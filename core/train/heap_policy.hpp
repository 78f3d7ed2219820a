#pragma once

namespace iddl::train {

// Makes the C heap keep and reuse freed buffers up to 1 GiB instead of returning each large one to
// the system (glibc serves blocks above 32 MiB by mmap, so a tensor of that size allocated every step
// costs fresh zeroed pages and their faults each time). Call once at process start; a no-op without glibc.
void keep_large_buffers_in_heap();

}  // namespace iddl::train
