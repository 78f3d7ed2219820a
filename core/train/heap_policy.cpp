#include "core/train/heap_policy.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace iddl::train {

void keep_large_buffers_in_heap() {
#if defined(__GLIBC__)
  constexpr int kOneGiB = 1 << 30;
  mallopt(M_MMAP_THRESHOLD, kOneGiB);
  mallopt(M_TRIM_THRESHOLD, kOneGiB);
#endif
}

}  // namespace iddl::train
