#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/comm/communicator.hpp"

namespace iddl::parallel {

// What ranks exchange of a model: its parameters, then its floating-point buffers.
std::vector<torch::Tensor> float_state(torch::nn::Module& model);
// Copies rank 0's parameters and float buffers to every rank (bookkeeping traffic).
void broadcast_from_rank0(torch::nn::Module& model, comm::Communicator& comm);

}  // namespace iddl::parallel
