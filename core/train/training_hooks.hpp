#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace iddl::train {

class FlatParameters;

// A strategy's state a checkpoint keeps besides the model and the optimizer, as named tensors.
using StrategyState = std::map<std::string, torch::Tensor>;

// Which part of each epoch's data a rank trains on: part `index` of `count` equal parts of the
// permutation drawn from the run seed mixed with `order` (ranks with different `order` values see
// the data in different orders).
struct Shard {
  int index = 0;
  int count = 1;
  uint64_t order = 0;
};

// What a parallelism strategy does at fixed points of the training loop.
class TrainingHooks {
 public:
  virtual ~TrainingHooks() = default;
  // Before the first step: e.g. make every rank start from the same weights.
  virtual void on_start(torch::nn::Module& model) = 0;
  // Before backward (every step, also one without samples): e.g. get ready to exchange gradients as backward
  // produces them. Arguments as after_backward's.
  virtual void before_backward(torch::nn::Module&, int64_t /*local_samples*/, int64_t /*global_samples*/) {}
  // After backward, before the optimizer step. Gradients hold the gradient of the model's loss over
  // this rank's `local_samples` (their mean, or their sum with loss_reduction = "sum"); the global
  // batch over all ranks has `global_samples`.
  virtual void after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) = 0;

  // The data this rank trains on (default: part `rank` of `world`); nullopt when it trains nothing.
  virtual std::optional<Shard> shard(int rank, int world) const { return Shard{rank, world}; }
  // Runs one epoch in place of the training loop on a rank whose shard() is nullopt.
  virtual void serve_epoch(torch::nn::Module&) {}
  // After each optimizer step.
  virtual void after_step(torch::nn::Module&) {}
  // After the last step of an epoch, before its traffic is counted and the model evaluated.
  virtual void on_epoch_end(torch::nn::Module&) {}
  // Before the epoch's evaluation: e.g. put the model every rank should be measured with in place.
  virtual void before_evaluation(torch::nn::Module&) {}
  // After the epoch's evaluation: e.g. restore what before_evaluation replaced.
  virtual void after_evaluation(torch::nn::Module&) {}
  // Strategy-specific run metrics for the run_finished event (e.g. staleness_mean), valid on rank 0.
  virtual std::map<std::string, double> run_metrics() const { return {}; }
  // Strategy-specific named metrics for run_finished's "metrics" (e.g. per-epoch residuals), valid on rank 0.
  virtual std::map<std::string, double> named_metrics() const { return {}; }
  // Its state at the end of an epoch, for a checkpoint; nullopt when it cannot be checkpointed (the default).
  virtual std::optional<StrategyState> checkpoint_state() const { return std::nullopt; }
  // Puts back, after on_start, what checkpoint_state() returned.
  virtual void restore_state(const StrategyState&) {}
  // After on_start: the model's parameters as views into flat buffers when the strategy keeps them so (the trainer
  // then updates them in one pass, FlatSgd), else null.
  virtual FlatParameters* flat_parameters() { return nullptr; }
};

}  // namespace iddl::train
