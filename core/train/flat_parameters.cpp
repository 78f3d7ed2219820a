#include "core/train/flat_parameters.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace iddl::train {

FlatParameters::FlatParameters(const std::vector<torch::Tensor>& parameters, torch::Tensor gradient_storage)
    : parameters_(parameters), offsets_(parameters.size(), 0) {
  torch::TensorOptions options;
  int64_t total = 0;
  for (const auto& p : parameters) {
    if (p.scalar_type() != parameters.front().scalar_type() || p.device() != parameters.front().device())
      throw std::invalid_argument("flat parameters: every parameter needs the first one's type and device");
    total += p.numel();
  }
  if (!parameters.empty()) options = parameters.front().options().requires_grad(false);
  values_ = torch::empty({total}, options);
  if (gradient_storage.defined()) {
    const bool alike = parameters.empty() || (gradient_storage.scalar_type() == options.dtype().toScalarType() &&
                                              gradient_storage.device() == options.device());
    if (gradient_storage.dim() != 1 || gradient_storage.numel() != total || !alike)
      throw std::invalid_argument("flat parameters: the gradient storage must be 1-D, of " + std::to_string(total) +
                                  " values of the parameters' type and device");
    gradients_ = gradient_storage.zero_();
  } else {
    gradients_ = torch::zeros({total}, options);
  }
  int64_t offset = 0;
  for (size_t k = parameters.size(); k-- > 0;) {  // last parameter first
    offsets_[k] = offset;
    offset += parameters[k].numel();
  }
  relink();
  const torch::Tensor keep = gradients_;
  for (size_t k = 0; k < parameters_.size(); ++k) {
    torch::Tensor& p = parameters_[k];
    // A view that does not tell autograd it is one: backward accumulates into it as into a gradient of its own.
    p.mutable_grad() = torch::from_blob(slice(gradients_, k).data_ptr(), p.sizes(), [keep](void*) {}, options);
  }
}

torch::Tensor FlatParameters::slice(const torch::Tensor& flat, size_t index) const {
  const torch::Tensor& p = parameters_[index];
  return flat.narrow(0, offsets_[index], p.numel()).view(p.sizes());
}

void FlatParameters::relink() {
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < parameters_.size(); ++k) {
    torch::Tensor& p = parameters_[k];
    torch::Tensor view = slice(values_, k);
    if (p.data_ptr() == view.data_ptr()) continue;
    view.copy_(p);
    p.set_data(view);
  }
}

void FlatParameters::check_in_place() const {
  for (size_t k = 0; k < parameters_.size(); ++k) {
    const torch::Tensor& p = parameters_[k];
    if (p.data_ptr() != slice(values_, k).data_ptr())
      throw std::logic_error("flat parameters: the value of parameter " + std::to_string(k) +
                             " no longer lives in the flat buffer (it was replaced)");
    if (!p.grad().defined() || p.grad().data_ptr() != slice(gradients_, k).data_ptr())
      throw std::logic_error("flat parameters: the gradient of parameter " + std::to_string(k) +
                             " no longer lives in the flat buffer (it was set to none or replaced)");
  }
}

bool FlatParameters::covers(const std::vector<torch::Tensor>& parameters) const {
  if (parameters.size() != parameters_.size()) return false;
  return std::all_of(parameters.begin(), parameters.end(), [&](const torch::Tensor& p) {
    return std::any_of(parameters_.begin(), parameters_.end(), [&](const torch::Tensor& q) { return p.is_same(q); });
  });
}

}  // namespace iddl::train
