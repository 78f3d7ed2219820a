#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <optional>

#include "core/comm/comm_stats.hpp"
#include "core/comm/communicator.hpp"
#include "core/models/model.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::train {

// What one training step adds to its epoch's training loss: the loss summed over the samples it
// counts, and how many they are. An engine may give the sum as a float64 scalar on its device instead
// (`device_sum`, defined), which the epoch driver adds up there and reads once per epoch.
struct StepLoss {
  double sum = 0.0;
  int64_t samples = 0;
  torch::Tensor device_sum = {};
};

// One rank's side of training as the epoch driver runs it: its data shard, its optimizer steps, test
// scoring and inference, and what it does at the fixed points of the loop. Implemented by
// train::Trainer (one model and a parallelism strategy), pipeline::PipelineTrainer (pipeline stages)
// and vertical::AdaBoostTrainer (boosted members in turn).
class StepEngine {
 public:
  virtual ~StepEngine() = default;

  // Which part of each epoch's data this rank trains on; nullopt when it trains nothing (serve_epoch).
  virtual std::optional<Shard> shard() const = 0;
  // Sets the learning rate of the steps that follow.
  virtual void set_learning_rate(double lr) = 0;
  // The training-set rows (int64 [n]) of the batch the next train_step gets (sample-weighted engines).
  virtual void set_batch_rows(const torch::Tensor&) {}
  // One optimizer step on this rank's samples (x, y) of a global batch of `global_samples` (x may
  // have no rows); returns what it adds to the epoch's training loss.
  virtual StepLoss train_step(const torch::Tensor& x, const torch::Tensor& y, int64_t global_samples) = 0;
  // Adds the test batch (x, y) to `sums` (eval mode, no gradient).
  virtual void score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) = 0;
  // Forwards a batch to its predicted classes (eval mode, no gradient): what inference timing measures.
  virtual void infer(const torch::Tensor& x) = 0;
  // This rank's training traffic since the last call.
  virtual comm::CommStats take_stats() = 0;

  // The ranks over which the StepLoss sums add up to the epoch's; null when this rank's are the total.
  virtual comm::Communicator* loss_ranks() = 0;
  // The ranks that share evaluation, each scoring its slice of the test set, the sums added over them;
  // null when this rank scores the whole test set alone.
  virtual comm::Communicator* evaluation_ranks() = 0;
  // The ranks that infer together, whose inference timing ends when all are done; null for this rank alone.
  virtual comm::Communicator* inference_ranks() { return nullptr; }

  // Before each epoch's training.
  virtual void start_epoch() {}
  // Runs one epoch in place of the training loop on a rank whose shard() is nullopt.
  virtual void serve_epoch() {}
  // After the epoch's last step, before its traffic is taken and the model evaluated.
  virtual void end_epoch() {}
  // Before the epoch's evaluation.
  virtual void before_evaluation() {}
  // After the epoch's evaluation.
  virtual void after_evaluation() {}
};

}  // namespace iddl::train
