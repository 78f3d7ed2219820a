#pragma once
#include <torch/torch.h>

#include "core/train/flat_parameters.hpp"

namespace iddl::train {

// SGD with momentum, Nesterov momentum and weight decay over flat CPU buffers of parameters (FlatParameters): one
// pass over all values, gradients and momenta per step, computing what torch::optim::SGD computes per tensor (within
// rounding: it fuses some multiply-adds this does not).
class FlatSgd {
 public:
  // `options`' dampening must be 0 (what runs use).
  FlatSgd(const FlatParameters& flat, const torch::optim::SGDOptions& options);

  void set_learning_rate(double lr) { options_.lr(lr); }
  // Zeroes the gradients.
  void zero_grad();
  // One update of the values from the gradients; throws std::logic_error when a parameter left the flat buffers.
  void step();
  // Puts the momenta into `per_tensor`'s state, as torch::optim::SGD over the same parameters keeps them (for a
  // checkpoint); none before the first step.
  void export_state(torch::optim::SGD& per_tensor) const;
  // Takes the momenta from `per_tensor`'s state (a checkpoint's), one for every parameter or none.
  void import_state(const torch::optim::SGD& per_tensor);

 private:
  template <typename T>
  void update();

  const FlatParameters& flat_;
  torch::optim::SGDOptions options_;
  torch::Tensor momentum_;  // undefined before the first step with momentum
};

}  // namespace iddl::train
