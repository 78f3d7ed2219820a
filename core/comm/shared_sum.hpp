#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/comm/comm_stats.hpp"
#include "core/comm/communicator.hpp"

namespace iddl::comm {

// Memory every rank of one machine maps: one segment per rank, created by rank 0 and unlinked once all have mapped
// it; unmapped when the last owner lets go.
class SharedSegments {
 public:
  // Rank 0 (`create`) makes a POSIX shared-memory object `name` of `ranks` segments of `segment_bytes` and reserves
  // its pages; the others open it. Null when that fails (no shared memory, or too little of it).
  static std::shared_ptr<SharedSegments> map(const std::string& name, int64_t segment_bytes, int ranks, bool create);
  ~SharedSegments();
  SharedSegments(const SharedSegments&) = delete;
  SharedSegments& operator=(const SharedSegments&) = delete;

  // Rank `rank`'s segment.
  char* segment(int rank) const { return base_ + segment_bytes_ * rank; }

 private:
  SharedSegments(char* base, int64_t segment_bytes, int64_t total_bytes)
      : base_(base), segment_bytes_(segment_bytes), total_bytes_(total_bytes) {}
  char* base_;
  int64_t segment_bytes_;
  int64_t total_bytes_;
};

// A CPU buffer of each rank that all ranks of a communicator on one machine can read, summed over the ranks in place
// without a copy in or out: every rank sums its share of a slice from the others' buffers (reduce-scatter), then
// copies the others' sums (allgather). What a 2-rank sum gives is bit-equal to MPI_Allreduce's.
class SharedSum {
 public:
  // Counts a sum's traffic in the communicator that made it.
  using Counter = std::function<void(const CommStats&, Traffic)>;

  // float32 and float64; `ranks` meets in `barrier` (every rank's buffer = `elements` values at segment(rank)).
  SharedSum(std::shared_ptr<SharedSegments> segments, int64_t elements, torch::ScalarType dtype, int rank, int ranks,
            Communicator& barrier, Counter count);

  // Whether a SharedSum can sum values of `dtype`.
  static bool supports(torch::ScalarType dtype);
  // This rank's buffer, zeros at first; tensors viewing it keep the memory mapped.
  const torch::Tensor& local() const { return local_; }
  // Sums `slice` of local() (contiguous, at the same place on every rank) over the ranks in place, counted as a ring
  // allreduce's bytes; every rank calls it. Throws std::invalid_argument for a tensor outside local().
  void allreduce_sum(const torch::Tensor& slice, Traffic traffic);

 private:
  // Adds every other rank's values of [begin, end) into this rank's, in rank order.
  template <typename T>
  void add_others(int64_t begin, int64_t end);
  // Copies rank `from`'s values of [begin, end) into this rank's.
  void copy_from(int from, int64_t begin, int64_t end);
  // Waits for every rank, with every write before visible to all after.
  void meet();

  std::shared_ptr<SharedSegments> segments_;
  torch::Tensor local_;
  int64_t element_bytes_;
  int rank_;
  int ranks_;
  Communicator& barrier_;
  Counter count_;
};

}  // namespace iddl::comm
