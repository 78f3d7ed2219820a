#pragma once
#include <cstdint>

#include "core/train/train_options.hpp"

namespace iddl::train {

// The learning rate for optimizer step `step` (0-based) of a run with `steps_per_epoch` steps per epoch.
double learning_rate(const TrainOptions& options, int64_t step, int64_t steps_per_epoch);

}  // namespace iddl::train
