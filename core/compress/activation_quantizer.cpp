#include "core/compress/activation_quantizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/compress/bit_pack.hpp"

namespace iddl::compress {

ActivationQuantizer::ActivationQuantizer(int bits, int split, CodeContainer container)
    : bits_(bits), split_(split), container_(container) {
  if (bits < 1 || bits > 16)
    throw std::invalid_argument("activation quantizer: bits must be 1..16, got " + std::to_string(bits));
  if (split < 0 || split > 8)
    throw std::invalid_argument("activation quantizer: split must be 0..8, got " + std::to_string(split));
}

int ActivationQuantizer::wire_bits() const {
  if (container_ == CodeContainer::Packed) return bits_ + split_;
  return bits_ + split_ <= 8 ? 8 : 16;
}

int64_t ActivationQuantizer::payload_bytes(int64_t numel) const {
  return 8 * (int64_t{1} << split_) + packed_bytes(numel, wire_bits());
}

torch::Tensor ActivationQuantizer::encode(const torch::Tensor& x) const {
  const torch::Tensor flat = x.detach().reshape(-1).to(torch::kCPU, torch::kFloat32).contiguous();
  const int64_t n = flat.numel();
  const int64_t buckets = int64_t{1} << split_;
  const auto top = static_cast<float>((int64_t{1} << bits_) - 1);
  const float* values = flat.data_ptr<float>();
  std::vector<float> min(static_cast<size_t>(buckets), 0.0f), step(static_cast<size_t>(buckets), 0.0f);
  std::vector<uint32_t> codes(static_cast<size_t>(n));
  // The code of value v in bucket j: round((v - min) / step) in [0, 2^bits - 1], bucket j in the high bits.
  const auto code = [&](float v, int64_t j) {
    const float level =
        step[j] > 0.0f ? std::min(std::max(std::floor((v - min[j]) / step[j] + 0.5f), 0.0f), top) : 0.0f;
    return static_cast<uint32_t>(j << bits_) | static_cast<uint32_t>(level);
  };
  if (n > 0 && split_ == 0) {
    const auto [low, high] = std::minmax_element(values, values + n);
    min[0] = *low;
    step[0] = (*high - *low) / top;
    for (int64_t i = 0; i < n; ++i) codes[static_cast<size_t>(i)] = code(values[i], 0);
  } else if (n > 0) {
    // Bucket j holds the sorted positions [j n / B, (j + 1) n / B).
    const auto [sorted, order] = flat.sort();
    const float* sorted_data = sorted.data_ptr<float>();
    const int64_t* order_data = order.data_ptr<int64_t>();
    for (int64_t j = 0; j < buckets; ++j) {
      const int64_t begin = j * n / buckets, end = (j + 1) * n / buckets;
      if (begin == end) continue;
      min[j] = sorted_data[begin];
      step[j] = (sorted_data[end - 1] - sorted_data[begin]) / top;
      for (int64_t p = begin; p < end; ++p) codes[static_cast<size_t>(order_data[p])] = code(sorted_data[p], j);
    }
  }
  torch::Tensor payload = torch::empty({payload_bytes(n)}, torch::kUInt8);
  uint8_t* out = payload.data_ptr<uint8_t>();
  for (int64_t j = 0; j < buckets; ++j) {
    std::memcpy(out + 8 * j, &min[j], 4);
    std::memcpy(out + 8 * j + 4, &step[j], 4);
  }
  // A code in a whole byte or two is the same code packed at 8 or 16 bits (least significant byte first).
  pack_bits(codes.data(), n, wire_bits(), out + 8 * buckets);
  return payload;
}

BucketTable ActivationQuantizer::table(const torch::Tensor& payload) const {
  const int64_t buckets = int64_t{1} << split_;
  if (payload.scalar_type() != torch::kUInt8 || !payload.is_contiguous() || payload.numel() < 8 * buckets)
    throw std::invalid_argument("activation quantizer: payload too short for its table");
  const uint8_t* in = payload.data_ptr<uint8_t>();
  BucketTable table{torch::empty({buckets}, torch::kFloat32), torch::empty({buckets}, torch::kFloat32)};
  for (int64_t j = 0; j < buckets; ++j) {
    std::memcpy(table.min.data_ptr<float>() + j, in + 8 * j, 4);
    std::memcpy(table.step.data_ptr<float>() + j, in + 8 * j + 4, 4);
  }
  return table;
}

torch::Tensor ActivationQuantizer::decode(const torch::Tensor& payload, at::IntArrayRef shape) const {
  int64_t n = 1;
  for (const int64_t size : shape) n *= size;
  if (payload.numel() < payload_bytes(n))
    throw std::invalid_argument("activation quantizer: payload of " + std::to_string(payload.numel()) +
                                " bytes, expected " + std::to_string(payload_bytes(n)));
  const BucketTable buckets = table(payload);
  const float* min = buckets.min.data_ptr<float>();
  const float* step = buckets.step.data_ptr<float>();
  std::vector<uint32_t> codes(static_cast<size_t>(n));
  unpack_bits(payload.data_ptr<uint8_t>() + 8 * buckets.min.numel(), n, wire_bits(), codes.data());
  const uint32_t level_mask = (1u << bits_) - 1, bucket_mask = (1u << split_) - 1;
  torch::Tensor out = torch::empty({n}, torch::kFloat32);
  float* values = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    // An Int container has room above the bucket index: the mask keeps a malformed code inside the table.
    const uint32_t c = codes[static_cast<size_t>(i)], j = (c >> bits_) & bucket_mask;
    values[i] = min[j] + static_cast<float>(c & level_mask) * step[j];
  }
  return out.view(shape);
}

ActivationQuantizer sortquant(int bits, int split, CodeContainer container) {
  if (bits != 4 && bits != 8 && bits != 12 && bits != 16)
    throw std::invalid_argument("sortquant: bits must be 4, 8, 12 or 16, got " + std::to_string(bits));
  if (split < 1)
    throw std::invalid_argument("sortquant: split must be 1..8 (0 is uniform), got " + std::to_string(split));
  return ActivationQuantizer(bits, split, container);
}

ActivationQuantizer uniform(int bits, CodeContainer container) { return ActivationQuantizer(bits, 0, container); }

}  // namespace iddl::compress
