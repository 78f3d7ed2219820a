#pragma once
// The device flavours of the encode/decode compressors (docs/compression.md, "On the device"): torch operations on
// the tensor's device writing the payload layout of the CPU kernel of the same method (compressors.hpp).
#include <torch/torch.h>

#include <string>
#include <utility>

#include "core/compress/compressors.hpp"
#include "core/compress/device_compressor.hpp"

namespace iddl::compress {

// The sparse payload (count indices of index_bytes(n) bytes, then count float32 values) on the device.
class DeviceSparse : public DeviceCompressor {
 public:
  void decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                           torch::Tensor& sum) const override;

 protected:
  // `method` names the compressor in errors.
  explicit DeviceSparse(std::string method) : method_(std::move(method)) {}
  // The payload of `values` at the ascending int64 `indices` of a vector of n entries.
  static torch::Tensor pack(const torch::Tensor& indices, const torch::Tensor& values, int64_t n);

 private:
  std::string method_;
};

// TopK's payload, bytes for bytes (both tie rules).
class DeviceTopK : public DeviceSparse {
 public:
  explicit DeviceTopK(double ratio, TopK::Ties ties = TopK::Ties::ExactK);
  torch::Tensor encode(const torch::Tensor& values) override;

 private:
  double ratio_;
  TopK::Ties ties_;
};

// RandomK's payload, bytes for bytes for the same generator: the seed and Floyd's k indices are drawn on the host
// (k integers, copied to the device), the values gathered and scaled on the device.
class DeviceRandomK : public DeviceSparse {
 public:
  DeviceRandomK(double ratio, bool scaled, torch::Generator generator,
                RandomK::Indices indices = RandomK::Indices::Sent);
  torch::Tensor encode(const torch::Tensor& values) override;
  void decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                           torch::Tensor& sum) const override;

 private:
  double ratio_;
  bool scaled_;
  RandomK::Indices indices_;
  torch::Generator generator_;
};

// Threshold's payload, bytes for bytes.
class DeviceThreshold : public DeviceSparse {
 public:
  explicit DeviceThreshold(double v);
  torch::Tensor encode(const torch::Tensor& values) override;

 private:
  double v_;
};

// AdaptiveThreshold's payload, bytes for bytes.
class DeviceAdaptiveThreshold : public DeviceSparse {
 public:
  DeviceAdaptiveThreshold() : DeviceSparse("adaptive_threshold") {}
  torch::Tensor encode(const torch::Tensor& values) override;
};

// TernGrad's layout and scale; the Bernoulli draws come from device::uniforms of a seed drawn from `generator`, so
// the codes differ from the CPU kernel's draws (both unbiased).
class DeviceTernGrad : public DeviceCompressor {
 public:
  explicit DeviceTernGrad(torch::Generator generator) : generator_(std::move(generator)) {}
  torch::Tensor encode(const torch::Tensor& values) override;
  void decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                           torch::Tensor& sum) const override;

 private:
  torch::Generator generator_;
};

// QSGD's layout; the norm is summed in float64 (it may differ from the CPU kernel's in the last bit) and the
// stochastic rounding draws from device::uniforms of a seed drawn from `generator` (unbiased, as the CPU kernel).
class DeviceQsgd : public DeviceCompressor {
 public:
  DeviceQsgd(int levels, torch::Generator generator);
  torch::Tensor encode(const torch::Tensor& values) override;
  void decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                           torch::Tensor& sum) const override;

 private:
  int levels_;
  int bits_;
  torch::Generator generator_;
};

// Fp16's payload, bytes for bytes (magnitudes beyond 65504 clamped, rounded to nearest even).
class DeviceFp16 : public DeviceCompressor {
 public:
  torch::Tensor encode(const torch::Tensor& values) override;
  void decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                           torch::Tensor& sum) const override;
};

// SignSgd's sign bits, bytes for bytes; the scale mean|x| is summed in float64 (it may differ from the CPU kernel's
// float lanes in the last bit).
class DeviceSignSgd : public DeviceCompressor {
 public:
  torch::Tensor encode(const torch::Tensor& values) override;
  void decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                           torch::Tensor& sum) const override;
};

}  // namespace iddl::compress
