#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/comm/shared_sum.hpp"
#include "core/train/flat_parameters.hpp"

namespace iddl::parallel {

// The flat gradient buffer of a model's parameters (FlatParameters: backward accumulates into it, nothing is
// copied), cut into buckets of at most `bucket_bytes` (but at least one parameter) in the order backward produces
// them, last parameter first. Each step, every bucket is scaled by this rank's share and summed over the ranks in one
// nonblocking allreduce; with `overlap`, a bucket's sum starts as soon as backward has accumulated all of its
// gradients (and every earlier bucket's has started), while backward goes on with the layers before (PyTorch
// DDP's reducer), else after backward. Buckets start in index order on every rank. The last bucket, which backward
// completes last, is summed by a blocking sum in finish(): nothing is left to overlap it with, and Open MPI's
// nonblocking allreduce of a large buffer is several times slower than its blocking one (docs/performance.md). When
// the flat gradients live in a SharedSum's buffer (ranks of one machine), that sum reads the other ranks' gradients
// in place instead of MPI_Allreduce copying them.
class GradientBuckets {
 public:
  // `flat` must outlive the buckets, and so must `shared` (when given, flat's gradients are its buffer).
  GradientBuckets(const train::FlatParameters& flat, int64_t bucket_bytes, bool overlap, comm::Communicator& comm,
                  comm::SharedSum* shared = nullptr);
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  // Before backward: each gradient will be multiplied by `share` before the sum. Throws std::logic_error when a
  // value or gradient no longer lives in the flat buffers (set to none or replaced since).
  void prepare(double share);
  // After backward: starts the sums not started yet and waits for all; the gradients then hold the sums.
  void finish();
  // How many buckets' sums have started this step (in backward, with `overlap`: those whose gradients are in, but
  // the last; after finish(): all).
  int64_t started() const { return static_cast<int64_t>(next_); }
  // The buckets' parameter counts, in the order their sums start.
  std::vector<int64_t> bucket_sizes() const;

 private:
  struct Bucket;
  // Backward has accumulated parameter `index`'s gradient.
  void on_gradient(size_t index);
  // Starts every bucket but the last from the next one on whose gradients are all in, in order (all of them with
  // `all`).
  void start_ready(bool all);

  comm::Communicator& comm_;
  comm::SharedSum* shared_;
  bool overlap_;
  const train::FlatParameters& flat_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;             // parameter index -> bucket
  // Each parameter's gradient accumulator (kept alive: it holds the hook) and the key of its hook.
  std::vector<std::pair<std::shared_ptr<torch::autograd::Node>, uintptr_t>> hooks_;
  std::vector<bool> arrived_;                 // parameter index -> gradient accumulated this step
  size_t next_ = 0;                           // the next bucket to start
  bool stepping_ = false;                     // between prepare() and finish()
  double share_ = 1.0;
};

}  // namespace iddl::parallel
