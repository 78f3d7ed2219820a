#include "core/train/lr_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace iddl::train {

double learning_rate(const TrainOptions& options, int64_t step, int64_t steps_per_epoch) {
  if (options.schedule == "constant") return options.lr;
  if (options.schedule == "step") {
    const int64_t epoch = step / std::max<int64_t>(1, steps_per_epoch);
    return options.lr * std::pow(options.lr_gamma, static_cast<double>(epoch / options.lr_step_epochs));
  }
  if (options.schedule == "warmup_linear") {
    const double total = static_cast<double>(options.epochs * steps_per_epoch);
    const double warmup = static_cast<double>(options.warmup_epochs * steps_per_epoch);
    const double at = static_cast<double>(step) + 1.0;
    if (at <= warmup) return options.lr * at / warmup;
    return options.lr * std::max(0.0, (total - at + 1.0) / (total - warmup));
  }
  throw std::invalid_argument("unknown schedule '" + options.schedule + "'");
}

void set_learning_rate(torch::optim::SGD& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
}

}  // namespace iddl::train
