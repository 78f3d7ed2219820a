#pragma once
#include <torch/torch.h>

#include "core/comm/communicator.hpp"

namespace iddl::testing {

// Whether every rank of `comm` holds rank 0's `values`, bit for bit (the same answer on every rank).
inline bool same_on_every_rank(const torch::Tensor& values, comm::Communicator& comm) {
  torch::Tensor from_rank0 = values.clone();
  comm.broadcast(from_rank0, 0, comm::Traffic::Bookkeeping);
  torch::Tensor differing = torch::full({1}, torch::equal(values, from_rank0) ? 0.0 : 1.0, torch::kFloat64);
  comm.allreduce_sum(differing, comm::Traffic::Bookkeeping);
  return differing.item<double>() == 0.0;
}

}  // namespace iddl::testing
