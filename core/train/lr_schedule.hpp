#pragma once
#include <torch/torch.h>

#include <cstdint>

#include "core/train/train_options.hpp"

namespace iddl::train {

// The learning rate for optimizer step `step` (0-based) of a run with `steps_per_epoch` steps per epoch
// (docs/sweep-files.md, "Schedules"): piecewise interpolates its knots linearly at the fractional epoch
// step / steps_per_epoch and keeps the last value after the last knot; cosine rises linearly over
// warmup_epochs, then follows half a cosine from lr to 0 at the end of the last epoch.
double learning_rate(const TrainOptions& options, int64_t step, int64_t steps_per_epoch);
// Sets the learning rate of every parameter group of `optimizer`.
void set_learning_rate(torch::optim::SGD& optimizer, double lr);

}  // namespace iddl::train
