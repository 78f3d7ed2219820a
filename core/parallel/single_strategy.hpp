#pragma once
#include "core/train/training_hooks.hpp"

namespace iddl::parallel {

// `parallelism = "single"`: one process trains alone; nothing is exchanged.
class SingleStrategy : public train::TrainingHooks {
 public:
  void on_start(torch::nn::Module&) override {}
  void after_backward(torch::nn::Module&, int64_t, int64_t) override {}
  // Nothing besides the model and the optimizer.
  std::optional<train::StrategyState> checkpoint_state() const override { return train::StrategyState{}; }
};

}  // namespace iddl::parallel
