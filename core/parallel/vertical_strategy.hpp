#pragma once
#include "core/data/dataset.hpp"
#include "core/train/train_options.hpp"
#include "core/train/training_hooks.hpp"
#include "core/vertical/ensemble_model.hpp"

namespace iddl::parallel {

// How the ranks train a vertically split model (docs/structure.md): partition — every rank the same
// batches (its part of each sample); ensemble — every rank the whole data set in its own order, its
// member alone, and after each epoch the combiner fitted over the training set; end_to_end ensemble —
// every rank the same batches, the logits gathered in forward. No gradient exchange.
class VerticalStrategy : public train::TrainingHooks {
 public:
  // `ensemble` is null for partition; `combiner_lr` is the ensemble combiner's learning rate.
  VerticalStrategy(vertical::EnsembleModelImpl* ensemble, const data::Dataset& data, const train::TrainOptions& options,
                   double combiner_lr)
      : ensemble_(ensemble), data_(data), options_(options), combiner_lr_(combiner_lr) {}

  void on_start(torch::nn::Module&) override {}
  void after_backward(torch::nn::Module&, int64_t, int64_t) override {}
  std::optional<train::Shard> shard(int rank, int) const override {
    const bool own_order = ensemble_ && !ensemble_->end_to_end();
    return train::Shard{0, 1, own_order ? static_cast<uint64_t>(rank) + 1 : 0};
  }
  // Ensemble: fits the combiner (linear) over the training set.
  void on_epoch_end(torch::nn::Module&) override;
  // The epochs counted (the combiner's data order) and the combiner's momentum buffers.
  std::optional<train::StrategyState> checkpoint_state() const override;
  void restore_state(const train::StrategyState& state) override;

 private:
  vertical::EnsembleModelImpl* ensemble_;
  const data::Dataset& data_;
  train::TrainOptions options_;
  double combiner_lr_;
  int64_t epoch_ = 0;
};

}  // namespace iddl::parallel
