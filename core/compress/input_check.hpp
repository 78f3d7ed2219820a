#pragma once
#include <torch/torch.h>

#include <string>

namespace iddl::compress {

// Throws std::invalid_argument naming `method` and what is wrong unless `values` is a contiguous float32 tensor, on
// the CPU when `cpu_only` (the CPU kernels) or on any device (the device flavours).
void check_input(const torch::Tensor& values, const std::string& method, bool cpu_only);

// Throws std::invalid_argument naming `method` and what is wrong unless `sum` is a contiguous float32 tensor on
// `device`, the tensor a decoder adds to.
void check_sum(const torch::Tensor& sum, const std::string& method, const torch::Device& device);

}  // namespace iddl::compress
