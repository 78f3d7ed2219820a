#pragma once
#include <torch/torch.h>

#include <vector>

namespace iddl::train {

// Gives every parameter a gradient tensor (zeros where backward left none).
void ensure_gradients(const std::vector<torch::Tensor>& parameters);
// The gradients of `parameters` concatenated into one contiguous buffer.
torch::Tensor flatten_gradients(const std::vector<torch::Tensor>& parameters);
// Copies consecutive slices of `flat` back into the gradients of `parameters`.
void unflatten_into_gradients(const torch::Tensor& flat, const std::vector<torch::Tensor>& parameters);
// The values of `parameters` concatenated into one contiguous buffer.
torch::Tensor flatten_values(const std::vector<torch::Tensor>& parameters);
// Copies consecutive slices of `flat` back into the values of `parameters`.
void unflatten_into_values(const torch::Tensor& flat, const std::vector<torch::Tensor>& parameters);

}  // namespace iddl::train
