#include "core/train/flat_tensors.hpp"

namespace iddl::train {
namespace {

torch::Tensor concatenate(const std::vector<torch::Tensor>& pieces) {
  std::vector<torch::Tensor> flat;
  flat.reserve(pieces.size());
  for (const auto& piece : pieces) flat.push_back(piece.reshape({-1}));
  return torch::cat(flat).contiguous();
}

void scatter(const torch::Tensor& flat, const std::vector<torch::Tensor>& targets) {
  int64_t offset = 0;
  for (const auto& target : targets) {
    const int64_t n = target.numel();
    target.copy_(flat.slice(0, offset, offset + n).view_as(target));
    offset += n;
  }
}

std::vector<torch::Tensor> gradients_of(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> grads;
  grads.reserve(parameters.size());
  for (const auto& p : parameters) grads.push_back(p.grad());
  return grads;
}

}  // namespace

void ensure_gradients(const std::vector<torch::Tensor>& parameters) {
  for (const auto& p : parameters)
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
}

torch::Tensor flatten_gradients(const std::vector<torch::Tensor>& parameters) {
  ensure_gradients(parameters);
  return concatenate(gradients_of(parameters));
}

void unflatten_into_gradients(const torch::Tensor& flat, const std::vector<torch::Tensor>& parameters) {
  scatter(flat, gradients_of(parameters));
}

torch::Tensor flatten_values(const std::vector<torch::Tensor>& parameters) {
  torch::NoGradGuard no_grad;
  return concatenate(parameters);
}

void unflatten_into_values(const torch::Tensor& flat, const std::vector<torch::Tensor>& parameters) {
  torch::NoGradGuard no_grad;
  scatter(flat, parameters);
}

}  // namespace iddl::train
