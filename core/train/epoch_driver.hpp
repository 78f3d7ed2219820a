#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

#include "core/comm/comm_stats.hpp"
#include "core/data/augmentation.hpp"
#include "core/data/dataset.hpp"
#include "core/train/device_data.hpp"
#include "core/train/epoch_order.hpp"
#include "core/train/step_engine.hpp"
#include "core/train/train_options.hpp"

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

// The epochs of one run on this rank: each epoch's data order and learning rates, the engine's steps
// on this rank's shard (its training batches augmented; the test set never), the training loss (read from
// the device once per epoch), evaluation on the test set, and inference timing. On CUDA the data set is
// placed once (DeviceData): whole on the GPU when it fits in options.device_data_mb, else in pinned memory.
class EpochDriver {
 public:
  EpochDriver(StepEngine& engine, const data::Dataset& data, const TrainOptions& options, torch::Device device);

  // Trains epoch `epoch` (1-based) and evaluates on the test set.
  EpochResult run_epoch(int64_t epoch);
  // Test loss, accuracy and metrics: each of the engine's evaluation ranks scores its slice of the test
  // set (a rank alone the whole of it) in chunks of max(batch_size, 256).
  Evaluation evaluate();
  // Times inference: the test set in batches of `batch_size`, then `single_samples` one at a time.
  InferenceTiming time_inference(int64_t batch_size, int64_t single_samples);
  // Steps taken so far (the learning-rate schedule's position); set when a run resumes from a checkpoint.
  int64_t step() const { return step_; }
  void set_step(int64_t step) { step_ = step; }

 private:
  // The engine's steps on this rank's part of `order`, their losses added up; the training batches augmented
  // with the draws of `key` at each batch.
  StepLoss train_shard(const EpochOrder& order, data::BatchKey key);

  StepEngine& engine_;
  const data::Dataset& data_;
  DeviceData data_on_device_;  // where batches are cut (options.device_data_mb)
  TrainOptions options_;
  int64_t step_ = 0;
};

}  // namespace iddl::train
