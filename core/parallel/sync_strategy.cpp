#include "core/parallel/sync_strategy.hpp"

#include "core/models/layers.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/parallel/model_state.hpp"
#include "results/fields.hpp"

namespace iddl::parallel {

void SyncStrategy::on_start(torch::nn::Module& model) { broadcast_from_rank0(model, comm_); }

void SyncStrategy::after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) {
  const std::vector<torch::Tensor> parameters = model.parameters();
  const double share = static_cast<double>(local_samples) / static_cast<double>(global_samples);
  if (averager_) {
    std::vector<torch::Tensor> gradients;
    for (const auto& p : parameters) gradients.push_back(p.grad());
    averager_->average(gradients, share);
    models::mask_gradients(model);  // sign and low-rank payloads fill masked entries in
    return;
  }
  torch::Tensor flat = train::flatten_gradients(parameters);
  flat.mul_(share);
  comm_.allreduce_sum(flat, comm::Traffic::Training);
  train::unflatten_into_gradients(flat, parameters);
}

std::map<std::string, double> SyncStrategy::run_metrics() const {
  if (!averager_) return {};
  return {{results::field::compression_ratio, averager_->compression_ratio()}};
}

std::optional<train::StrategyState> SyncStrategy::checkpoint_state() const {
  return averager_ ? averager_->state() : train::StrategyState{};
}

void SyncStrategy::restore_state(const train::StrategyState& state) {
  if (averager_) averager_->restore(state);
}

}  // namespace iddl::parallel
