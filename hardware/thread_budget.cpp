#include "hardware/thread_budget.hpp"

#include <algorithm>

namespace iddl::hardware {

int threads_per_rank(int threads_setting, int ranks, int cores) {
  if (threads_setting > 0) return threads_setting;
  return std::max(1, cores / std::max(1, ranks));
}

bool needs_unbound_ranks(int threads_per_rank) { return threads_per_rank > 1; }

}  // namespace iddl::hardware
