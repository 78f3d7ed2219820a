#pragma once
#include <torch/torch.h>

#include <string>

#include "core/comm/comm_stats.hpp"

namespace iddl::comm {

// Whether a call's traffic is counted as training communication or is bookkeeping (metrics).
enum class Traffic { Training, Bookkeeping };

// Collective operations on tensors across the ranks of one run.
class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // The transport's name, e.g. "mpi".
  virtual std::string backend() const = 0;

  // Sums a contiguous tensor over all ranks, in place.
  virtual void allreduce_sum(torch::Tensor& tensor, Traffic traffic) = 0;
  // Copies a contiguous tensor from `root` to all ranks, in place.
  virtual void broadcast(torch::Tensor& tensor, int root, Traffic traffic) = 0;
  // Waits for every rank.
  virtual void barrier() = 0;

  // Training traffic counted since construction or the last take_stats().
  CommStats take_stats() {
    CommStats out = stats_;
    stats_ = {};
    return out;
  }

 protected:
  void count(const CommStats& call, Traffic traffic) {
    if (traffic == Traffic::Training) stats_ += call;
  }

 private:
  CommStats stats_;
};

}  // namespace iddl::comm
