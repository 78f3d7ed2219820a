// The device flavours of terngrad, qsgd, fp16 and signsgd: torch operations writing the dense payloads.
#include <stdexcept>
#include <string>
#include <utility>

#include "core/compress/bit_pack.hpp"
#include "core/compress/device_codec.hpp"
#include "core/compress/device_compressors.hpp"
#include "core/compress/input_check.hpp"
#include "core/compress/subset_draw.hpp"

namespace iddl::compress {
namespace {

// Throws unless `payload` is uint8 and holds at least `expected` bytes, as the CPU decoders check.
void check_payload(const torch::Tensor& payload, int64_t expected, const std::string& method) {
  if (payload.scalar_type() != torch::kUInt8)
    throw std::invalid_argument(method + " payload: expected uint8 bytes");
  if (payload.numel() < expected)
    throw std::runtime_error(method + " payload: " + std::to_string(payload.numel()) + " bytes, expected " +
                             std::to_string(expected));
}

// float(weight * header) computed in float64, as the CPU decoders compute their step.
torch::Tensor step_of(const torch::Tensor& weight, const torch::Tensor& header) {
  return (weight.to(torch::kFloat64) * header.to(torch::kFloat64)).to(torch::kFloat32);
}

// A float32 zero of one entry on the device of `like`.
torch::Tensor zero_scalar(const torch::Tensor& like) { return torch::zeros({1}, like.options()); }

// 1 for a negative entry (x < 0, so not for -0 or NaN), else 0, as int64 codes.
torch::Tensor negative_codes(const torch::Tensor& x) { return (x < 0.0f).to(torch::kInt64); }

// +1 or -1 for each of n sign bits (1: negative).
torch::Tensor signs(const torch::Tensor& bytes, int64_t n) {
  return 1.0f - 2.0f * device::unpack_codes(bytes, n, 1).to(torch::kFloat32);
}

}  // namespace

torch::Tensor DeviceTernGrad::encode(const torch::Tensor& values) {
  check_input(values, "terngrad", false);
  const int64_t n = values.numel();
  if (n == 0) return device::float_bytes(zero_scalar(values));
  const torch::Tensor scale = values.abs().max();
  // Code 0: zero, 1: +scale, 2: -scale; an entry is kept with probability |x| / scale (u * scale < |x|).
  const torch::Tensor threshold = device::uniforms(draw_seed(generator_), n, values.options()) * scale;
  const torch::Tensor codes = (threshold < values).to(torch::kInt64) + 2 * (threshold < values.neg()).to(torch::kInt64);
  return torch::cat({device::float_bytes(scale), device::pack_codes(codes, 2)});
}

void DeviceTernGrad::decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                                         torch::Tensor& sum) const {
  check_sum(sum, "terngrad", payload.device());
  const int64_t n = sum.numel();
  check_payload(payload, 4 + packed_bytes(n, 2), "terngrad");
  const torch::Tensor codes = device::unpack_codes(payload.narrow(0, 4, payload.numel() - 4), n, 2);
  const torch::Tensor level =
      (torch::bitwise_and(codes, 1) - torch::bitwise_right_shift(codes, 1)).to(torch::kFloat32);
  sum.add_(step_of(weight, device::read_float(payload)) * level);
}

DeviceQsgd::DeviceQsgd(int levels, torch::Generator generator)
    : levels_(levels), bits_(1), generator_(std::move(generator)) {
  if (levels < 2 || levels > (1 << 16)) throw std::invalid_argument("qsgd: levels must be in [2, 65536]");
  while ((int64_t{1} << bits_) < levels_) ++bits_;
}

torch::Tensor DeviceQsgd::encode(const torch::Tensor& values) {
  check_input(values, "qsgd", false);
  const int64_t n = values.numel();
  if (n == 0) return device::float_bytes(zero_scalar(values));
  const torch::Tensor norm = (values * values).to(torch::kFloat64).sum().sqrt().to(torch::kFloat32);
  // |x| / norm on a grid of levels-1 intervals, rounded up with probability equal to the remainder (a norm of 0
  // sends level 0 everywhere).
  const auto top = static_cast<float>(levels_ - 1);
  const torch::Tensor per_norm = torch::where(norm > 0.0f, top / norm, torch::zeros_like(norm));
  const torch::Tensor position = (values.abs() * per_norm).clamp_max(top);
  const torch::Tensor below = position.trunc();
  const torch::Tensor u = device::uniforms(draw_seed(generator_), n, values.options());
  const torch::Tensor level = (below + (u < position - below).to(torch::kFloat32)).clamp_max(top).to(torch::kInt64);
  return torch::cat({device::float_bytes(norm), device::pack_codes(level, bits_),
                     device::pack_codes(negative_codes(values), 1)});
}

void DeviceQsgd::decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                                     torch::Tensor& sum) const {
  check_sum(sum, "qsgd", payload.device());
  const int64_t n = sum.numel(), level_bytes = packed_bytes(n, bits_);
  check_payload(payload, 4 + level_bytes + packed_bytes(n, 1), "qsgd");
  const torch::Tensor step = (weight.to(torch::kFloat64) * device::read_float(payload).to(torch::kFloat64) /
                              static_cast<double>(levels_ - 1))
                                 .to(torch::kFloat32);
  const torch::Tensor level = device::unpack_codes(payload.narrow(0, 4, level_bytes), n, bits_).to(torch::kFloat32);
  const torch::Tensor sign = signs(payload.narrow(0, 4 + level_bytes, payload.numel() - 4 - level_bytes), n);
  sum.add_(sign * level * step);
}

torch::Tensor DeviceFp16::encode(const torch::Tensor& values) {
  check_input(values, "fp16", false);
  return values.clamp(-65504.0f, 65504.0f).to(torch::kHalf).view(torch::kUInt8);
}

void DeviceFp16::decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                                     torch::Tensor& sum) const {
  check_sum(sum, "fp16", payload.device());
  const int64_t n = sum.numel();
  check_payload(payload, 2 * n, "fp16");
  const torch::Tensor half = device::reinterpret(payload.narrow(0, 0, 2 * n), torch::kHalf);
  sum.add_(weight.to(torch::kFloat32) * half.to(torch::kFloat32));
}

torch::Tensor DeviceSignSgd::encode(const torch::Tensor& values) {
  check_input(values, "signsgd", false);
  const int64_t n = values.numel();
  if (n == 0) return device::float_bytes(zero_scalar(values));
  const torch::Tensor scale = (values.abs().to(torch::kFloat64).sum() / static_cast<double>(n)).to(torch::kFloat32);
  return torch::cat({device::float_bytes(scale), device::pack_codes(negative_codes(values), 1)});
}

void DeviceSignSgd::decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                                        torch::Tensor& sum) const {
  check_sum(sum, "signsgd", payload.device());
  const int64_t n = sum.numel();
  check_payload(payload, 4 + packed_bytes(n, 1), "signsgd");
  sum.add_(step_of(weight, device::read_float(payload)) * signs(payload.narrow(0, 4, payload.numel() - 4), n));
}

}  // namespace iddl::compress
