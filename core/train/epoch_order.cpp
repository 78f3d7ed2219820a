#include "core/train/epoch_order.hpp"

#include <algorithm>
#include <numeric>
#include <random>

namespace iddl::train {

int64_t step_batch(int64_t batch_size, const std::string& batch_scope, int world) {
  return batch_scope == "global" ? batch_size : batch_size * world;
}

EpochOrder::EpochOrder(int64_t samples, int64_t global_batch, int rank, int world, uint64_t seed, int64_t epoch)
    : permutation_(static_cast<size_t>(samples)), global_batch_(global_batch), rank_(rank), world_(world) {
  std::iota(permutation_.begin(), permutation_.end(), int64_t{0});
  std::mt19937_64 generator(seed * 1000003ULL + static_cast<uint64_t>(epoch));
  // Fisher-Yates with our own index draws: std::shuffle's use of the engine is implementation-defined.
  for (size_t i = permutation_.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(generator() % i);
    std::swap(permutation_[i - 1], permutation_[j]);
  }
  batches_ = (samples + global_batch_ - 1) / global_batch_;
}

int64_t EpochOrder::global_size(int64_t batch) const {
  const int64_t begin = batch * global_batch_;
  return std::min<int64_t>(global_batch_, static_cast<int64_t>(permutation_.size()) - begin);
}

int64_t EpochOrder::slice_start(int rank) const {
  const int64_t share = global_batch_ / world_, extra = global_batch_ % world_;
  return rank * share + std::min<int64_t>(rank, extra);
}

std::vector<int64_t> EpochOrder::local_indices(int64_t batch) const {
  const int64_t total = static_cast<int64_t>(permutation_.size());
  const int64_t first = batch * global_batch_;
  const int64_t begin = std::min(total, first + slice_start(rank_));
  const int64_t end = std::min(total, first + slice_start(rank_ + 1));
  return {permutation_.begin() + begin, permutation_.begin() + end};
}

}  // namespace iddl::train
