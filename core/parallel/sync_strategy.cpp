#include "core/parallel/sync_strategy.hpp"

#include "core/models/layers.hpp"
#include "core/parallel/model_state.hpp"
#include "results/fields.hpp"

namespace iddl::parallel {

namespace {

double share_of(int64_t local_samples, int64_t global_samples) {
  return static_cast<double>(local_samples) / static_cast<double>(global_samples);
}

// Whether `model` has a masked layer, whose gradients the trainer masks after backward.
bool has_masks(const torch::nn::Module& model) {
  for (const auto& module : model.modules()) {
    if (auto* layer = dynamic_cast<models::LinearImpl*>(module.get()); layer && layer->mask.defined()) return true;
    if (auto* layer = dynamic_cast<models::Conv2dImpl*>(module.get()); layer && layer->mask.defined()) return true;
  }
  return false;
}

// Shared memory for the gradients of `parameters` (CPU tensors of one type) when `comm` offers it; every rank calls it.
std::unique_ptr<comm::SharedSum> shared_gradients(const std::vector<torch::Tensor>& parameters,
                                                  comm::Communicator& comm) {
  if (parameters.empty() || !parameters.front().device().is_cpu()) return nullptr;
  int64_t total = 0;
  for (const auto& p : parameters) {
    if (p.scalar_type() != parameters.front().scalar_type() || !p.device().is_cpu()) return nullptr;
    total += p.numel();
  }
  return comm.shared_sum(total, parameters.front().scalar_type());
}

}  // namespace

void SyncStrategy::on_start(torch::nn::Module& model) {
  broadcast_from_rank0(model, comm_);
  if (averager_) return;
  const std::vector<torch::Tensor> parameters = model.parameters();
  shared_ = shared_gradients(parameters, comm_);
  flat_ = std::make_unique<train::FlatParameters>(parameters, shared_ ? shared_->local() : torch::Tensor());
  // Masked gradients are masked after backward: their sums may start only then.
  buckets_ = std::make_unique<GradientBuckets>(*flat_, bucket_bytes_, !has_masks(model), comm_, shared_.get());
}

void SyncStrategy::before_backward(torch::nn::Module&, int64_t local_samples, int64_t global_samples) {
  if (buckets_) buckets_->prepare(share_of(local_samples, global_samples));
}

void SyncStrategy::after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) {
  if (buckets_) return buckets_->finish();
  std::vector<torch::Tensor> gradients;
  for (const auto& p : model.parameters()) gradients.push_back(p.grad());
  averager_->average(gradients, share_of(local_samples, global_samples));
  models::mask_gradients(model);  // sign and low-rank payloads fill masked entries in
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
