#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

#include "core/comm/communicator.hpp"
#include "core/data/dataset.hpp"
#include "core/models/model.hpp"
#include "core/train/epoch_order.hpp"
#include "core/train/train_options.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::train {

// Test-set loss and accuracy (a fraction) over all ranks, and the model's own test metrics (means
// over the test samples, by name: see models::TestSums).
struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
  std::map<std::string, double> metrics;
};

// The metrics of one epoch; `comm` is this rank's training traffic during the epoch.
struct EpochResult {
  int64_t epoch = 0;
  double train_loss = 0.0;
  double test_loss = 0.0;
  double test_accuracy = 0.0;
  double epoch_time_s = 0.0;  // the training loop only, evaluation excluded
  comm::CommStats comm;
  std::map<std::string, double> test_metrics;  // Evaluation::metrics
};

// Wall time of a forward pass over the whole test set, and per sample when samples come one by one.
struct InferenceTiming {
  double inference_time_s = 0.0;
  double latency_ms = 0.0;
};

// Trains one model on this rank's shard of a dataset with SGD, calling the strategy's hooks.
class Trainer {
 public:
  // `comm` may be null for a process training alone.
  Trainer(models::Model model, const data::Dataset& data, const TrainOptions& options, torch::Device device,
          comm::Communicator* comm, TrainingHooks& hooks);

  // Trains epoch `epoch` (1-based) and evaluates on the test set.
  EpochResult run_epoch(int64_t epoch);
  // Test loss, accuracy and metrics: each rank evaluates a slice of the test set, or, for a collective
  // model, every rank the whole of it.
  Evaluation evaluate();
  // Times inference: the test set in batches of `batch_size`, then `single_samples` one at a time; on
  // the rank that calls it, or on every rank at once for a collective model.
  InferenceTiming time_inference(int64_t batch_size, int64_t single_samples);

  models::ModelImpl& model() { return *model_; }

 private:
  int rank() const { return comm_ ? comm_->rank() : 0; }
  int world() const { return comm_ ? comm_->size() : 1; }
  // Trains on this rank's part of `order`, adding the summed loss and the sample count.
  void train_shard(const EpochOrder& order, double& loss_sum, int64_t& samples);
  // Sums `values` over ranks without counting it as training traffic.
  void sum_over_ranks(torch::Tensor& values);

  models::Model model_;
  const data::Dataset& data_;
  TrainOptions options_;
  torch::Device device_;
  comm::Communicator* comm_;
  TrainingHooks& hooks_;
  std::vector<torch::Tensor> parameters_;
  torch::optim::SGD optimizer_;
  int64_t step_ = 0;
  bool started_ = false;
};

}  // namespace iddl::train
