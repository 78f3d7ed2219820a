#include "core/train/lr_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace iddl::train {
namespace {

// Linear interpolation of the knots (epochs, values) at `epoch`; the last value after the last knot.
double piecewise(const std::vector<double>& epochs, const std::vector<double>& values, double epoch) {
  if (epochs.size() < 2 || epochs.size() != values.size())
    throw std::logic_error("piecewise schedule: lr_epochs and lr_values need at least 2 knots each, one value per epoch");
  if (epoch >= epochs.back()) return values.back();
  const auto next = std::upper_bound(epochs.begin(), epochs.end(), epoch);
  if (next == epochs.begin()) return values.front();
  const size_t i = static_cast<size_t>(next - epochs.begin());
  const double t = (epoch - epochs[i - 1]) / (epochs[i] - epochs[i - 1]);
  return values[i - 1] + t * (values[i] - values[i - 1]);
}

}  // namespace

double learning_rate(const TrainOptions& options, int64_t step, int64_t steps_per_epoch) {
  if (options.schedule == "constant") return options.lr;
  const int64_t per_epoch = std::max<int64_t>(1, steps_per_epoch);
  if (options.schedule == "step") {
    const int64_t epoch = step / per_epoch;
    return options.lr * std::pow(options.lr_gamma, static_cast<double>(epoch / options.lr_step_epochs));
  }
  if (options.schedule == "piecewise")
    return piecewise(options.lr_epochs, options.lr_values, static_cast<double>(step) / static_cast<double>(per_epoch));
  const double total = static_cast<double>(options.epochs * steps_per_epoch);
  const double warmup = static_cast<double>(options.warmup_epochs * steps_per_epoch);
  const double at = static_cast<double>(step) + 1.0;
  if (options.schedule == "warmup_linear") {
    if (at <= warmup) return options.lr * at / warmup;
    return options.lr * std::max(0.0, (total - at + 1.0) / (total - warmup));
  }
  if (options.schedule == "cosine") {
    if (at <= warmup) return options.lr * at / warmup;
    const double progress = std::min(1.0, (static_cast<double>(step) - warmup) / (total - warmup));
    return options.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
  }
  throw std::invalid_argument("unknown schedule '" + options.schedule + "'");
}

void set_learning_rate(torch::optim::SGD& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
}

}  // namespace iddl::train
