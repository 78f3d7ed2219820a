#include "core/parallel/model_state.hpp"

#include "core/train/flat_tensors.hpp"

namespace iddl::parallel {

std::vector<torch::Tensor> float_state(torch::nn::Module& model) {
  std::vector<torch::Tensor> state = model.parameters();
  for (const auto& buffer : model.buffers())
    if (buffer.is_floating_point()) state.push_back(buffer);
  return state;
}

void broadcast_from_rank0(torch::nn::Module& model, comm::Communicator& comm) {
  const std::vector<torch::Tensor> state = float_state(model);
  torch::Tensor flat = train::flatten_values(state);
  comm.broadcast(flat, 0, comm::Traffic::Bookkeeping);
  train::unflatten_into_values(flat, state);
}

}  // namespace iddl::parallel
