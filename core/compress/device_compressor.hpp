#pragma once
#include <torch/torch.h>

#include <cstdint>

#include "core/compress/compressor.hpp"

namespace iddl::compress {

// A compressor written in torch operations: it encodes a 1-D contiguous float32 tensor on its own device into the
// payload of the CPU kernel of the same method (the same layout, so the same byte count and any decoder reads it),
// and decodes on the payload's device, without copying the vector to the host.
class DeviceCompressor : public Compressor {
 public:
  // Adds `weight` (a float64 tensor of one entry on the payload's device) times the vector `payload` stands for to
  // `sum` (float32 on the payload's device); the weight is never read on the host.
  virtual void decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                                   torch::Tensor& sum) const = 0;

  void decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const override {
    decode_add_weighted(payload, torch::full({1}, weight, payload.options().dtype(torch::kFloat64)), sum);
  }
  // Zeros on the payload's device plus decode_add.
  torch::Tensor decode(const torch::Tensor& payload, int64_t numel) const override {
    torch::Tensor out = torch::zeros({numel}, payload.options().dtype(torch::kFloat32));
    decode_add(payload, 1.0, out);
    return out;
  }
};

}  // namespace iddl::compress
