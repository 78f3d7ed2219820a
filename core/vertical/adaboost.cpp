#include "core/vertical/adaboost.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace iddl::vertical {

double weighted_error(const torch::Tensor& weights, const torch::Tensor& correct) {
  const torch::Tensor w = weights.to(torch::kFloat64);
  return (w * correct.logical_not().to(torch::kFloat64)).sum().item<double>() / w.sum().item<double>();
}

double hypothesis_weight(double error, int64_t classes) {
  const double e = std::clamp(error, 1e-10, 1.0 - 1e-10);
  return std::log((1.0 - e) / e) + std::log(static_cast<double>(classes - 1));
}

torch::Tensor boosted_weights(const torch::Tensor& weights, const torch::Tensor& correct, double alpha,
                              const std::string& update) {
  if (update != "samme" && update != "seed")
    throw std::invalid_argument("adaboost: unknown update '" + update + "' (known: samme, seed)");
  const torch::Tensor raised = update == "samme" ? correct.logical_not() : correct;
  const torch::Tensor factor = torch::where(raised, torch::full({}, std::exp(alpha), torch::kFloat64),
                                            torch::ones({}, torch::kFloat64));
  const torch::Tensor next = weights.to(torch::kFloat64) * factor;
  return next / next.sum();
}

int64_t batch_repeats(const torch::Tensor& weights, const torch::Tensor& batch_weights) {
  const double low = weights.min().item<double>(), high = weights.max().item<double>();
  if (high == low) return 1;
  const double w = batch_weights.max().item<double>();
  return static_cast<int64_t>(std::floor((w - low) * 9.0 / (high - low) + 1.0));  // the seed's order of operations
}

}  // namespace iddl::vertical
