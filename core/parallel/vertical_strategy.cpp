#include "core/parallel/vertical_strategy.hpp"

namespace iddl::parallel {

void VerticalStrategy::on_epoch_end(torch::nn::Module&) {
  ++epoch_;
  if (ensemble_)
    ensemble_->fit_combiner(data_.train.images, data_.train.labels, options_.batch_size, combiner_lr_,
                            options_.seed + static_cast<uint64_t>(epoch_));
}

std::optional<train::StrategyState> VerticalStrategy::checkpoint_state() const {
  train::StrategyState state;
  if (ensemble_) state = ensemble_->combiner_state();
  state["epoch"] = torch::tensor({epoch_}, torch::kInt64);
  return state;
}

void VerticalStrategy::restore_state(const train::StrategyState& state) {
  epoch_ = state.at("epoch")[0].item<int64_t>();
  if (ensemble_) ensemble_->restore_combiner_state(state);
}

}  // namespace iddl::parallel
