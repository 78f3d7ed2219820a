// The dense compressors (terngrad, qsgd, fp16, signsgd): a small float32 header, then packed codes.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/compress/bit_pack.hpp"
#include "core/compress/compressors.hpp"

namespace iddl::compress {
namespace {

// The bytes of `payload`; throws unless it holds at least `expected` contiguous bytes.
const uint8_t* checked_bytes(const torch::Tensor& payload, int64_t expected, const std::string& method) {
  if (!payload.is_contiguous() || payload.scalar_type() != torch::kUInt8)
    throw std::invalid_argument(method + " payload: expected contiguous uint8 bytes");
  if (payload.numel() < expected)
    throw std::runtime_error(method + " payload: " + std::to_string(payload.numel()) + " bytes, expected " +
                             std::to_string(expected));
  return payload.data_ptr<uint8_t>();
}

float read_float(const uint8_t* in) {
  float value;
  std::memcpy(&value, in, 4);
  return value;
}

// The floats of a 1-D contiguous float32 CPU input.
const float* input_data(const torch::Tensor& values, const std::string& method) {
  if (!values.is_contiguous() || values.scalar_type() != torch::kFloat32 || !values.device().is_cpu())
    throw std::invalid_argument(method + ": expected a contiguous float32 CPU tensor");
  return values.data_ptr<float>();
}

// The floats of the contiguous float32 CPU sum a decoder adds to.
float* sum_data(torch::Tensor& sum) {
  if (!sum.is_contiguous() || sum.scalar_type() != torch::kFloat32 || !sum.device().is_cpu())
    throw std::invalid_argument("decode: the sum must be a contiguous float32 CPU tensor");
  return sum.data_ptr<float>();
}

// A payload of a float32 header `head` followed by `rest` zero bytes.
torch::Tensor with_header(float head, int64_t rest) {
  torch::Tensor payload = torch::zeros({4 + rest}, torch::kUInt8);
  std::memcpy(payload.data_ptr<uint8_t>(), &head, 4);
  return payload;
}

}  // namespace

TernGrad::TernGrad(torch::Generator generator) : generator_(std::move(generator)) {}

torch::Tensor TernGrad::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const float* x = input_data(values, "terngrad");
  float scale = 0.0f;
  for (int64_t i = 0; i < n; ++i) scale = std::max(scale, std::fabs(x[i]));
  torch::Tensor payload = with_header(scale, packed_bytes(n, 2));
  if (scale > 0.0f) {
    // Code 0: zero, 1: +scale, 2: -scale; an entry is kept with probability |x| / scale (u * scale < |x|).
    const torch::Tensor draws = torch::rand({n}, generator_);
    const float* u = draws.data_ptr<float>();
    uint8_t* out = payload.data_ptr<uint8_t>() + 4;
    for (int64_t i = 0; i < n; ++i) {
      const int kept = u[i] * scale < std::fabs(x[i]), negative = x[i] < 0.0f;
      out[i / 4] |= static_cast<uint8_t>((kept << negative) << (2 * (i % 4)));
    }
  }
  return payload;
}

void TernGrad::decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const {
  const int64_t n = sum.numel();
  const uint8_t* in = checked_bytes(payload, 4 + packed_bytes(n, 2), "terngrad");
  const auto step = static_cast<float>(weight * read_float(in));
  float* out = sum_data(sum);
  for (int64_t i = 0; i < n; ++i) {
    const int code = (in[4 + i / 4] >> (2 * (i % 4))) & 3;  // 1: +step, 2: -step, 0: nothing
    out[i] += step * static_cast<float>((code & 1) - (code >> 1));
  }
}

Qsgd::Qsgd(int levels, torch::Generator generator) : levels_(levels), bits_(1), generator_(std::move(generator)) {
  if (levels < 2 || levels > (1 << 16)) throw std::invalid_argument("qsgd: levels must be in [2, 65536]");
  while ((int64_t{1} << bits_) < levels_) ++bits_;
}

torch::Tensor Qsgd::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const float* x = input_data(values, "qsgd");
  double squares = 0.0;
  for (int64_t i = 0; i < n; ++i) squares += static_cast<double>(x[i]) * x[i];
  const auto norm = static_cast<float>(std::sqrt(squares));
  const int64_t level_bytes = packed_bytes(n, bits_);
  torch::Tensor payload = with_header(norm, level_bytes + packed_bytes(n, 1));
  if (norm > 0.0f) {
    // |x| / norm on a grid of levels-1 intervals, rounded up with probability equal to the remainder.
    const torch::Tensor draws = torch::rand({n}, generator_);
    const float* u = draws.data_ptr<float>();
    const auto top = static_cast<float>(levels_ - 1);
    const float per_norm = top / norm;
    std::vector<uint32_t> level(static_cast<size_t>(n));
    uint8_t* negative = payload.data_ptr<uint8_t>() + 4 + level_bytes;
    for (int64_t i = 0; i < n; ++i) {
      const float position = std::min(std::fabs(x[i]) * per_norm, top);
      const float below = std::floor(position);
      const float up = static_cast<float>(u[i] < position - below);
      level[static_cast<size_t>(i)] = static_cast<uint32_t>(std::min(below + up, top));
      negative[i / 8] |= static_cast<uint8_t>(static_cast<int>(x[i] < 0.0f) << (i % 8));
    }
    pack_bits(level.data(), n, bits_, payload.data_ptr<uint8_t>() + 4);
  }
  return payload;
}

void Qsgd::decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const {
  const int64_t n = sum.numel();
  const int64_t level_bytes = packed_bytes(n, bits_);
  const uint8_t* in = checked_bytes(payload, 4 + level_bytes + packed_bytes(n, 1), "qsgd");
  const float norm = read_float(in);
  if (norm == 0.0f) return;
  std::vector<uint32_t> level(static_cast<size_t>(n));
  unpack_bits(in + 4, n, bits_, level.data());
  const uint8_t* negative = in + 4 + level_bytes;
  const auto step = static_cast<float>(weight * norm / (levels_ - 1));
  float* out = sum_data(sum);
  for (int64_t i = 0; i < n; ++i) {
    const auto sign = static_cast<float>(1 - 2 * ((negative[i / 8] >> (i % 8)) & 1));
    out[i] += sign * static_cast<float>(level[static_cast<size_t>(i)]) * step;
  }
}

torch::Tensor Fp16::encode(const torch::Tensor& values) {
  const torch::Tensor half = values.clamp(-65504.0, 65504.0).to(torch::kHalf).contiguous();
  torch::Tensor payload = torch::empty({half.numel() * 2}, torch::kUInt8);
  if (half.numel() > 0) std::memcpy(payload.data_ptr<uint8_t>(), half.data_ptr(), static_cast<size_t>(payload.numel()));
  return payload;
}

void Fp16::decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const {
  const int64_t n = sum.numel();
  const uint8_t* in = checked_bytes(payload, 2 * n, "fp16");
  torch::Tensor half = torch::empty({n}, torch::kHalf);
  if (n > 0) std::memcpy(half.data_ptr(), in, static_cast<size_t>(2 * n));
  sum.add_(half.to(torch::kFloat32), weight);
}

torch::Tensor SignSgd::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const float* x = input_data(values, "signsgd");
  double magnitudes = 0.0;
  for (int64_t i = 0; i < n; ++i) magnitudes += std::fabs(x[i]);
  const auto scale = static_cast<float>(n > 0 ? magnitudes / static_cast<double>(n) : 0.0);
  torch::Tensor payload = with_header(scale, packed_bytes(n, 1));
  uint8_t* negative = payload.data_ptr<uint8_t>() + 4;
  for (int64_t i = 0; i < n; ++i) negative[i / 8] |= static_cast<uint8_t>(static_cast<int>(x[i] < 0.0f) << (i % 8));
  return payload;
}

void SignSgd::decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const {
  const int64_t n = sum.numel();
  const uint8_t* in = checked_bytes(payload, 4 + packed_bytes(n, 1), "signsgd");
  const auto step = static_cast<float>(weight * read_float(in));
  float* out = sum_data(sum);
  for (int64_t i = 0; i < n; ++i) out[i] += step * static_cast<float>(1 - 2 * ((in[4 + i / 8] >> (i % 8)) & 1));
}

}  // namespace iddl::compress
