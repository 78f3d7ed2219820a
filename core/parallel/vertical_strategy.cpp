#include "core/parallel/vertical_strategy.hpp"

namespace iddl::parallel {

void VerticalStrategy::on_epoch_end(torch::nn::Module&) {
  ++epoch_;
  if (ensemble_)
    ensemble_->fit_combiner(data_.train.images, data_.train.labels, options_.batch_size, combiner_lr_,
                            options_.seed + static_cast<uint64_t>(epoch_));
}

}  // namespace iddl::parallel
