#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace iddl::compress {

// A gradient compressor: the bytes that travel for a vector of floats, and the vector they stand for.
class Compressor {
 public:
  virtual ~Compressor() = default;

  // The wire payload (1-D kUInt8, CPU) of a 1-D contiguous float32 CPU tensor.
  virtual torch::Tensor encode(const torch::Tensor& values) = 0;
  // Adds `weight` times the vector `payload` stands for to `sum` (1-D float32 of the encoded length); trailing
  // padding is ignored.
  virtual void decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const = 0;

  // The float32 vector of `numel` entries that `payload` stands for (by default a zero vector plus decode_add; the
  // dense compressors write it directly).
  virtual torch::Tensor decode(const torch::Tensor& payload, int64_t numel) const {
    torch::Tensor out = torch::zeros({numel}, torch::kFloat32);
    decode_add(payload, 1.0, out);
    return out;
  }
};

}  // namespace iddl::compress
