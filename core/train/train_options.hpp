#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/data/augmentation.hpp"

namespace iddl::train {

// The optimizer, schedule and loop settings of one run (names as in the settings registry).
struct TrainOptions {
  int64_t epochs = 2;
  int64_t batch_size = 64;  // per rank
  std::string batch_scope = "rank";  // rank; global: batch_size is the step's batch over all shards
  data::AugmentOptions augment;      // of the training batches
  double lr = 0.05;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 0.0;
  std::string schedule = "constant";  // constant, step, warmup_linear, piecewise, cosine
  int64_t lr_step_epochs = 10;
  double lr_gamma = 0.1;
  int64_t warmup_epochs = 1;
  std::vector<double> lr_epochs;  // piecewise: the knots' epochs (0 first, increasing)
  std::vector<double> lr_values;  // piecewise: the learning rate at each knot
  uint64_t seed = 1;
  std::string precision = "fp32";  // fp32, bf16, fp16: autocast of the forward pass and loss (docs/gpu.md)
  bool channels_last = false;      // convolutional models: weights and images in channels-last memory format
  int64_t device_data_mb = 1024;   // CUDA: the data set on the GPU when it fits in this many MB, else pinned
};

}  // namespace iddl::train
