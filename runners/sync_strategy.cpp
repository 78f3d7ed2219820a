#include "runners/sync_strategy.hpp"

#include "core/train/flat_tensors.hpp"

namespace iddl::runners {

void SyncStrategy::on_start(torch::nn::Module& model) {
  std::vector<torch::Tensor> state = model.parameters();
  for (const auto& buffer : model.buffers())
    if (buffer.is_floating_point()) state.push_back(buffer);
  torch::Tensor flat = train::flatten_values(state);
  comm_.broadcast(flat, 0, comm::Traffic::Bookkeeping);
  train::unflatten_into_values(flat, state);
}

void SyncStrategy::after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) {
  const std::vector<torch::Tensor> parameters = model.parameters();
  torch::Tensor flat = train::flatten_gradients(parameters);
  flat.mul_(static_cast<double>(local_samples) / static_cast<double>(global_samples));
  comm_.allreduce_sum(flat, comm::Traffic::Training);
  train::unflatten_into_gradients(flat, parameters);
}

}  // namespace iddl::runners
