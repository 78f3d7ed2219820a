#include "core/train/loss_scaler.hpp"

#include <stdexcept>

namespace iddl::train {

LossScaler::LossScaler(LossScalerOptions options) : options_(options), scale_(options.initial_scale) {
  if (!(options_.initial_scale > 0) || !(options_.growth_factor > 1) || !(options_.backoff_factor > 0) ||
      !(options_.backoff_factor < 1) || options_.growth_interval < 1)
    throw std::logic_error("loss scaler: needs initial_scale > 0, growth_factor > 1, 0 < backoff_factor < 1 and "
                           "growth_interval >= 1");
}

torch::Tensor LossScaler::scale(const torch::Tensor& loss) const { return loss * scale_; }

bool LossScaler::unscale(const std::vector<torch::Tensor>& parameters) const {
  torch::Tensor bad;  // the count of non-finite gradient values, on the gradients' device
  for (const torch::Tensor& parameter : parameters) {
    torch::Tensor grad = parameter.grad();
    if (!grad.defined()) continue;
    grad.mul_(1.0 / scale_);
    const torch::Tensor here = torch::logical_not(torch::isfinite(grad)).sum();
    bad = bad.defined() ? bad + here : here;
  }
  return !bad.defined() || bad.item<int64_t>() == 0;
}

void LossScaler::update(bool finite) {
  if (!finite) {
    scale_ *= options_.backoff_factor;
    finite_steps_ = 0;
    return;
  }
  if (++finite_steps_ == options_.growth_interval) {
    scale_ *= options_.growth_factor;
    finite_steps_ = 0;
  }
}

}  // namespace iddl::train
