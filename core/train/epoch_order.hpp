#pragma once
#include <cstdint>
#include <vector>

namespace iddl::train {

// The samples of one epoch in global batches of batch_size x world, each rank taking its own slice.
// Every rank draws the same permutation from (seed, epoch), so the shards are disjoint and cover
// the data; a run on R ranks sees exactly the global batches of one rank with R x batch_size.
class EpochOrder {
 public:
  EpochOrder(int64_t samples, int64_t batch_size, int rank, int world, uint64_t seed, int64_t epoch);

  // Number of global batches (the last one may be short).
  int64_t batches() const { return batches_; }
  // Number of samples in global batch `batch` over all ranks.
  int64_t global_size(int64_t batch) const;
  // This rank's sample indices in global batch `batch` (possibly empty in a short last batch).
  std::vector<int64_t> local_indices(int64_t batch) const;

 private:
  std::vector<int64_t> permutation_;
  int64_t batch_size_;
  int rank_;
  int world_;
  int64_t batches_;
};

}  // namespace iddl::train
