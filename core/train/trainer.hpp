#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/models/model.hpp"
#include "core/train/checkpointable.hpp"
#include "core/train/flat_sgd.hpp"
#include "core/train/loss_scaler.hpp"
#include "core/train/mixed_precision.hpp"
#include "core/train/step_engine.hpp"
#include "core/train/train_options.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::train {

// The steps of one model on this rank with SGD, calling a parallelism strategy's hooks: the step
// engine of every run but a pipeline's (EpochDriver runs its epochs). Forward passes and losses run under
// the autocast of options.precision; fp16 steps go through a LossScaler (a step with non-finite gradients
// is skipped); options.channels_last puts convolution weights and image batches in channels-last format.
class Trainer : public StepEngine, public Checkpointable {
 public:
  // `comm` may be null for a process training alone. Throws std::invalid_argument for precision "fp16" off CUDA.
  Trainer(models::Model model, const TrainOptions& options, torch::Device device, comm::Communicator* comm,
          TrainingHooks& hooks);

  // The strategy's shard of rank of world (part 0 of 1 alone).
  std::optional<Shard> shard() const override { return hooks_.shard(rank(), world()); }
  void set_learning_rate(double lr) override;
  // Forward and backward of the model's training loss on (x, y) when x has rows, then the hooks around
  // the optimizer step; counts the loss summed over x's rows, as a device sum (no host read).
  StepLoss train_step(const torch::Tensor& x, const torch::Tensor& y, int64_t global_samples) override;
  void score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) override;
  void infer(const torch::Tensor& x) override;
  comm::CommStats take_stats() override { return comm_ ? comm_->take_stats() : comm::CommStats{}; }

  // Every rank: the losses of each rank's samples add up over them.
  comm::Communicator* loss_ranks() override { return shared(); }
  // Every rank, each scoring its slice; none for a collective model, which every rank scores whole.
  comm::Communicator* evaluation_ranks() override { return model_->collective() ? nullptr : shared(); }

  // The strategy's on_start before the first epoch; training mode.
  void start_epoch() override;
  void serve_epoch() override { hooks_.serve_epoch(*model_); }
  void end_epoch() override { hooks_.on_epoch_end(*model_); }
  void before_evaluation() override { hooks_.before_evaluation(*model_); }
  void after_evaluation() override { hooks_.after_evaluation(*model_); }

  models::ModelImpl& model() { return *model_; }
  // Writes the model's parameters and buffers, the optimizer's state and the strategy's to `archive`; throws
  // std::invalid_argument when the strategy's state cannot be checkpointed.
  void save(torch::serialize::OutputArchive& archive) const override;
  // Starts the strategy (its on_start) and puts back what save() wrote.
  void load(torch::serialize::InputArchive& archive) override;

 private:
  int rank() const { return comm_ ? comm_->rank() : 0; }
  int world() const { return comm_ ? comm_->size() : 1; }
  // `comm` when it joins other ranks, else null.
  comm::Communicator* shared() const { return world() > 1 ? comm_ : nullptr; }
  // A batch `x` as the model takes it (channels-last images when asked).
  torch::Tensor input(const torch::Tensor& x) const;

  models::Model model_;
  comm::Communicator* comm_;
  TrainingHooks& hooks_;
  std::optional<at::ScalarType> autocast_;
  torch::Device device_;
  bool channels_last_;
  std::optional<LossScaler> scaler_;  // fp16 only
  std::vector<torch::Tensor> parameters_;
  torch::optim::SGD optimizer_;
  // The update when the strategy keeps the parameters flat on the CPU (optimizer_ then only holds the learning
  // rate and, in checkpoints, the momenta).
  std::unique_ptr<FlatSgd> flat_sgd_;
  bool started_ = false;
};

}  // namespace iddl::train
