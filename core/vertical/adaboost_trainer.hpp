#pragma once
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>

#include "core/data/dataset.hpp"
#include "core/train/checkpointable.hpp"
#include "core/train/step_engine.hpp"
#include "core/train/train_options.hpp"
#include "core/vertical/adaboost_model.hpp"

namespace iddl::vertical {

// The boosting of `vertical = "adaboost"` (docs/structure.md).
struct AdaBoostOptions {
  std::string update = "samme";             // samme (textbook) or seed: which samples' weights rise (adaboost.hpp)
  std::string sample_weighting = "repeat";  // repeat: a batch trained batch_repeats times; loss: weighted loss
};

// Trains an AdaBoostModel on one rank, its members in turn, epochs / members epochs each with a fresh
// SGD (the run's options). After each epoch: the current member's weighted error on the training set
// and its hypothesis weight (what the epoch's evaluation votes with); after a member's last epoch the
// sample weights are boosted and the next member becomes current at the next epoch's start.
class AdaBoostTrainer : public train::StepEngine, public train::Checkpointable {
 public:
  // `train` is the training set the sample weights index (uniform at the start).
  AdaBoostTrainer(std::shared_ptr<AdaBoostModelImpl> model, const data::TensorSet& train,
                  const train::TrainOptions& options, AdaBoostOptions boost, torch::Device device);

  std::optional<train::Shard> shard() const override { return train::Shard{}; }
  void set_learning_rate(double lr) override;
  void set_batch_rows(const torch::Tensor& rows) override { rows_ = rows; }
  // SGD steps of the current member on (x, y) weighted by the batch's sample weights.
  train::StepLoss train_step(const torch::Tensor& x, const torch::Tensor& y, int64_t global_samples) override;
  void score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) override;
  void infer(const torch::Tensor& x) override;
  comm::CommStats take_stats() override { return {}; }
  comm::Communicator* loss_ranks() override { return nullptr; }
  comm::Communicator* evaluation_ranks() override { return nullptr; }
  // Advances to the next member after the previous member's last epoch; training mode.
  void start_epoch() override;
  // The current member's error and weight; after its last epoch, the boosted sample weights.
  void end_epoch() override;

  // The sample weights over the training set (float64 [N], sum 1).
  const torch::Tensor& sample_weights() const { return weights_; }

  // Writes the boosting to a checkpoint: every member's parameters and buffers, their hypothesis weights, the
  // current member, its optimizer and learning rate, the epochs trained, whether the next epoch starts the next
  // member, and the sample weights.
  void save(torch::serialize::OutputArchive& archive) const override;
  // Puts back what save() wrote (the member it names becomes the current one).
  void load(torch::serialize::InputArchive& archive) override;

 private:
  // Whether the current member classifies each training sample correctly (bool [N]).
  torch::Tensor correct_on_train();

  std::shared_ptr<AdaBoostModelImpl> model_;
  const data::TensorSet& train_;
  train::TrainOptions options_;
  AdaBoostOptions boost_;
  torch::Device device_;
  int64_t epochs_per_member_;
  int64_t epoch_ = 0;
  bool advance_ = false;
  double lr_;
  torch::Tensor weights_, rows_;
  std::unique_ptr<torch::optim::SGD> optimizer_;
};

}  // namespace iddl::vertical
