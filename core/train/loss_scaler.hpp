#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace iddl::train {

// The dynamic loss scale of float16 training (as torch.cuda.amp.GradScaler, whose defaults these are).
struct LossScalerOptions {
  double initial_scale = 65536.0;
  double growth_factor = 2.0;   // the scale grows by it after growth_interval finite steps in a row
  double backoff_factor = 0.5;  // and shrinks by it after a step with an inf or nan gradient
  int64_t growth_interval = 2000;
};

// Scales the loss before backward so that small float16 gradients do not flush to zero, unscales the
// gradients before the optimizer step, and adapts the scale: a step whose gradients hold an inf or nan is
// skipped and the scale backed off; growth_interval finite steps in a row grow it.
class LossScaler {
 public:
  explicit LossScaler(LossScalerOptions options = {});

  // `loss` times the current scale.
  torch::Tensor scale(const torch::Tensor& loss) const;
  // Divides the defined gradients of `parameters` by the scale, in place; whether all of them are finite
  // (one host read of a flag computed on their device).
  bool unscale(const std::vector<torch::Tensor>& parameters) const;
  // After a step: `finite` as unscale() returned; backs off or counts towards growth.
  void update(bool finite);
  double current() const { return scale_; }

 private:
  LossScalerOptions options_;
  double scale_;
  int64_t finite_steps_ = 0;
};

}  // namespace iddl::train
