// Datasets as normalized tensors, ready for training.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace iddl::data {

// The shape of one input image and the number of classes.
struct InputShape {
  int64_t channels, height, width, classes;
};

// Images (float32 [N,C,H,W], normalized) and their labels (int64 [N]).
struct TensorSet {
  torch::Tensor images;
  torch::Tensor labels;
};

// A dataset's training and test sets.
struct Dataset {
  std::string name;
  InputShape shape;
  TensorSet train, test;
};

// Which dataset to load and how much of it; *_samples > 0 keeps the first N samples, and
// seed only affects the synthetic dataset.
struct DataOptions {
  std::string name;
  std::string data_dir;  // empty: the dataset's default directory
  int64_t train_samples = 0;
  int64_t test_samples = 0;
  uint64_t seed = 1;
  bool standardize = true;  // file data sets: per-channel standardization after / 255 (false: / 255 only)
};

// Loads fashion-mnist, mnist, cifar10, synthetic or synthetic-cifar; throws std::runtime_error naming the missing
// or broken file, or the sample count that exceeds the data.
Dataset load_dataset(const DataOptions& options);

}  // namespace iddl::data
