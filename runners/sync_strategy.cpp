#include "runners/sync_strategy.hpp"

#include "core/train/flat_tensors.hpp"
#include "runners/model_state.hpp"

namespace iddl::runners {

void SyncStrategy::on_start(torch::nn::Module& model) { broadcast_from_rank0(model, comm_); }

void SyncStrategy::after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) {
  const std::vector<torch::Tensor> parameters = model.parameters();
  torch::Tensor flat = train::flatten_gradients(parameters);
  flat.mul_(static_cast<double>(local_samples) / static_cast<double>(global_samples));
  comm_.allreduce_sum(flat, comm::Traffic::Training);
  train::unflatten_into_gradients(flat, parameters);
}

}  // namespace iddl::runners
