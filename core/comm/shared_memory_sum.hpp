#pragma once
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace iddl::comm {

// An allreduce-sum over the ranks of an MPI communicator that all share one node, through an MPI-3 shared-memory
// window: each rank copies in the parts of its buffer the others sum, sums its own slice over the ranks (in rank
// order), and copies the other slices' sums out; flags in the window order the phases. No LibTorch.
class SharedMemorySum {
 public:
  // The sum over `comm`'s ranks, or null when they do not all share one node (collective over `comm`).
  static std::unique_ptr<SharedMemorySum> create(MPI_Comm comm);
  ~SharedMemorySum();
  SharedMemorySum(const SharedMemorySum&) = delete;
  SharedMemorySum& operator=(const SharedMemorySum&) = delete;

  // Sums `count` elements of `data` over the ranks, in place (collective: every rank passes the same count).
  void sum(float* data, int64_t count);
  void sum(double* data, int64_t count);

 private:
  struct Flags;
  explicit SharedMemorySum(MPI_Comm node);
  template <typename T>
  void sum_in_place(T* data, int64_t count);
  // Makes each rank's region hold at least `bytes` (collective; reallocates the window when it grows).
  void reserve(int64_t bytes);
  void free_window();

  MPI_Comm node_;
  int rank_ = 0;
  int size_ = 1;
  MPI_Win window_ = MPI_WIN_NULL;
  int64_t capacity_ = 0;  // bytes of data each rank's region holds
  uint64_t generation_ = 0;  // sums done since the window was allocated
  std::vector<Flags*> flags_;    // rank -> its flags in the window
  std::vector<char*> regions_;   // rank -> its data region in the window
};

}  // namespace iddl::comm
