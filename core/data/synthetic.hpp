// A seeded, learnable synthetic dataset that needs no files.
#pragma once

#include "core/data/dataset.hpp"

namespace iddl::data {

// Samples of each split when DataOptions asks for 0.
inline constexpr int64_t kSyntheticTrainSamples = 2048;
inline constexpr int64_t kSyntheticTestSamples = 512;

// 10 classes of 1x28x28 images ("synthetic") or 3x32x32 images ("synthetic-cifar", CIFAR-10's
// shape; options.name says which): each class a fixed random prototype drawn from the seed, each
// sample its class's prototype plus Gaussian noise, with 10 % of the samples showing a random
// class's prototype (so accuracy stays near 91 %); balanced shuffled labels; train and test
// from separate random streams. The same seed gives bitwise identical tensors.
Dataset make_synthetic(const DataOptions& options);

}  // namespace iddl::data
