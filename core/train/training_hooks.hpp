#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace iddl::train {

// What a parallelism strategy does at fixed points of the training loop.
class TrainingHooks {
 public:
  virtual ~TrainingHooks() = default;
  // Before the first step: e.g. make every rank start from the same weights.
  virtual void on_start(torch::nn::Module& model) = 0;
  // After backward, before the optimizer step. Gradients hold the mean over this rank's
  // `local_samples`; the global batch over all ranks has `global_samples`.
  virtual void after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) = 0;
};

}  // namespace iddl::train
