#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace iddl::train {

// The samples of one step over `world` shards: batch_size on each for batch_scope "rank", batch_size in all for
// "global".
int64_t step_batch(int64_t batch_size, const std::string& batch_scope, int world);

// The samples of one epoch in global batches of `global_batch`, each of the `world` ranks taking its own slice:
// global_batch / world samples, one more for the first global_batch % world ranks. Every rank draws the same
// permutation from (seed, epoch), so the shards are disjoint and cover the data; a run on R ranks sees exactly
// the global batches of one rank alone with the same global batch.
class EpochOrder {
 public:
  EpochOrder(int64_t samples, int64_t global_batch, int rank, int world, uint64_t seed, int64_t epoch);

  // Number of global batches (the last one may be short).
  int64_t batches() const { return batches_; }
  // Number of samples in global batch `batch` over all ranks.
  int64_t global_size(int64_t batch) const;
  // This rank's sample indices in global batch `batch`: its slice of a full batch, cut short in a short last
  // batch (possibly empty).
  std::vector<int64_t> local_indices(int64_t batch) const;

 private:
  // Where rank `rank`'s slice begins within a full global batch.
  int64_t slice_start(int rank) const;

  std::vector<int64_t> permutation_;
  int64_t global_batch_;
  int rank_;
  int world_;
  int64_t batches_;
};

}  // namespace iddl::train
