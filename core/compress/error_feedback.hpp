#pragma once
#include <torch/torch.h>

#include <stdexcept>
#include <vector>

namespace iddl::compress {

// Error feedback memory: per compressed unit, what compression dropped, added back at the next step.
class ErrorFeedback {
 public:
  // The residual kept for `unit` (undefined before its first update).
  torch::Tensor residual(size_t unit) const { return unit < residuals_.size() ? residuals_[unit] : torch::Tensor(); }

  // `input` plus the residual of `unit`.
  torch::Tensor compensate(size_t unit, const torch::Tensor& input) const {
    const torch::Tensor kept = residual(unit);
    if (!kept.defined()) return input;
    if (!kept.sizes().equals(input.sizes()))
      throw std::invalid_argument("error feedback: a unit changed shape between steps");
    return input + kept.to(input.device());  // a restored residual may come from the host
  }

  // Units with a residual slot (some may be undefined).
  size_t units() const { return residuals_.size(); }
  // Sets the residual of `unit` (a checkpoint's); an undefined tensor clears it.
  void set_residual(size_t unit, const torch::Tensor& residual) {
    if (unit >= residuals_.size()) residuals_.resize(unit + 1);
    residuals_[unit] = residual;
  }

  // Keeps `compensated - transmitted` (what the unit's payload did not carry) as the residual of `unit`.
  void update(size_t unit, const torch::Tensor& compensated, const torch::Tensor& transmitted) {
    if (unit >= residuals_.size()) residuals_.resize(unit + 1);
    residuals_[unit] = compensated - transmitted.view(compensated.sizes());
  }

 private:
  std::vector<torch::Tensor> residuals_;
};

}  // namespace iddl::compress
