#include "core/train/epoch_order.hpp"

#include <algorithm>
#include <numeric>
#include <random>

namespace iddl::train {

EpochOrder::EpochOrder(int64_t samples, int64_t batch_size, int rank, int world, uint64_t seed, int64_t epoch)
    : permutation_(static_cast<size_t>(samples)), batch_size_(batch_size), rank_(rank), world_(world) {
  std::iota(permutation_.begin(), permutation_.end(), int64_t{0});
  std::mt19937_64 generator(seed * 1000003ULL + static_cast<uint64_t>(epoch));
  // Fisher-Yates with our own index draws: std::shuffle's use of the engine is implementation-defined.
  for (size_t i = permutation_.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(generator() % i);
    std::swap(permutation_[i - 1], permutation_[j]);
  }
  const int64_t global_batch = batch_size_ * world_;
  batches_ = (samples + global_batch - 1) / global_batch;
}

int64_t EpochOrder::global_size(int64_t batch) const {
  const int64_t global_batch = batch_size_ * world_;
  const int64_t begin = batch * global_batch;
  return std::min<int64_t>(global_batch, static_cast<int64_t>(permutation_.size()) - begin);
}

std::vector<int64_t> EpochOrder::local_indices(int64_t batch) const {
  const int64_t total = static_cast<int64_t>(permutation_.size());
  const int64_t begin = std::min(total, batch * batch_size_ * world_ + rank_ * batch_size_);
  const int64_t end = std::min(total, begin + batch_size_);
  return {permutation_.begin() + begin, permutation_.begin() + end};
}

}  // namespace iddl::train
