#include "core/compress/device_codec.hpp"

#include <stdexcept>
#include <string>

#include "core/compress/bit_pack.hpp"

namespace iddl::compress::device {
namespace {

using torch::indexing::Slice;

torch::TensorOptions int64_on(const torch::Tensor& like) { return like.options().dtype(torch::kInt64); }

// 0, step, 2 step, ... (count entries) as int64 on `like`'s device.
torch::Tensor steps(int64_t count, int64_t step, const torch::Tensor& like) {
  return torch::arange(0, count * step, step, int64_on(like));
}

void check_bits(int bits) {
  if (bits < 1 || bits > 16)
    throw std::invalid_argument("device bit packing: bits must be 1..16, got " + std::to_string(bits));
}

// x * c mod 2^32 of values below 2^32 held in int64, with no product reaching 2^63.
torch::Tensor mul32(const torch::Tensor& x, uint32_t c) {
  const auto low = static_cast<int64_t>(c & 0xFFFFu), high = static_cast<int64_t>(c >> 16);
  const torch::Tensor high_part = torch::bitwise_left_shift(torch::bitwise_and(x * high, 0xFFFF), 16);
  return (x * low + high_part).bitwise_and_(int64_t{0xFFFFFFFF});
}

// lowbias32 (Wellons): a bijection of 32-bit values with low bias, on values below 2^32 held in int64.
torch::Tensor hash32(torch::Tensor x) {
  x = torch::bitwise_xor(x, torch::bitwise_right_shift(x, 16));
  x = mul32(x, 0x7feb352du);
  x = torch::bitwise_xor(x, torch::bitwise_right_shift(x, 15));
  x = mul32(x, 0x846ca68bu);
  return torch::bitwise_xor(x, torch::bitwise_right_shift(x, 16));
}

}  // namespace

torch::Tensor float_bytes(const torch::Tensor& value) {
  return value.reshape({1}).to(torch::kFloat32).contiguous().view(torch::kUInt8);
}

torch::Tensor reinterpret(const torch::Tensor& bytes, torch::ScalarType type) {
  const int64_t size = static_cast<int64_t>(c10::elementSize(type));
  if (bytes.is_contiguous() && bytes.storage_offset() % size == 0) return bytes.view(type);
  return bytes.clone().view(type);
}

torch::Tensor read_float(const torch::Tensor& bytes) { return reinterpret(bytes.narrow(0, 0, 4), torch::kFloat32); }

torch::Tensor pack_codes(const torch::Tensor& codes, int bits) {
  check_bits(bits);
  const int64_t count = codes.numel(), out_bytes = packed_bytes(count, bits);
  const torch::Tensor masked = torch::bitwise_and(codes.to(torch::kInt64), (int64_t{1} << bits) - 1);
  if (bits == 8) return masked.to(torch::kUInt8);
  if (bits == 16)
    return torch::stack({torch::bitwise_and(masked, 0xFF), torch::bitwise_right_shift(masked, 8)}, 1)
        .to(torch::kUInt8)
        .reshape(-1);
  if (bits < 8) {
    // 8 codes fill `bits` bytes: each group of 8 becomes one integer of 8 * bits < 64 bits, then its bytes.
    const int64_t groups = (count + 7) / 8;
    torch::Tensor padded = torch::zeros({groups * 8}, masked.options());
    padded.narrow(0, 0, count).copy_(masked);
    const torch::Tensor words = torch::bitwise_left_shift(padded.view({groups, 8}), steps(8, bits, masked)).sum(1);
    return torch::bitwise_and(torch::bitwise_right_shift(words.unsqueeze(1), steps(bits, 8, masked)), 0xFF)
        .to(torch::kUInt8)
        .reshape(-1)
        .narrow(0, 0, out_bytes);
  }
  // 9 to 15 bits: the stream of bits, then 8 at a time into bytes.
  torch::Tensor stream = torch::zeros({out_bytes * 8}, masked.options().dtype(torch::kUInt8));
  stream.narrow(0, 0, count * bits)
      .copy_(torch::bitwise_and(torch::bitwise_right_shift(masked.unsqueeze(1), steps(bits, 1, masked)), 1)
                 .reshape(-1));
  return torch::bitwise_left_shift(stream.view({out_bytes, 8}).to(torch::kInt64), steps(8, 1, masked))
      .sum(1)
      .to(torch::kUInt8);
}

torch::Tensor unpack_codes(const torch::Tensor& bytes, int64_t count, int bits) {
  check_bits(bits);
  const int64_t in_bytes = packed_bytes(count, bits);
  if (bytes.numel() < in_bytes)
    throw std::runtime_error("device bit unpacking: " + std::to_string(bytes.numel()) + " bytes, expected " +
                             std::to_string(in_bytes));
  const torch::Tensor in = bytes.narrow(0, 0, in_bytes).to(torch::kInt64);
  if (bits == 8) return in;
  if (bits == 16) {
    const torch::Tensor pairs = in.view({count, 2});
    return torch::bitwise_or(pairs.select(1, 0), torch::bitwise_left_shift(pairs.select(1, 1), 8));
  }
  const int64_t mask = (int64_t{1} << bits) - 1;
  if (bits < 8) {
    const int64_t groups = (count + 7) / 8;
    torch::Tensor padded = torch::zeros({groups * bits}, in.options());
    padded.narrow(0, 0, in_bytes).copy_(in);
    const torch::Tensor words = torch::bitwise_left_shift(padded.view({groups, bits}), steps(bits, 8, in)).sum(1);
    return torch::bitwise_and(torch::bitwise_right_shift(words.unsqueeze(1), steps(8, bits, in)), mask)
        .reshape(-1)
        .narrow(0, 0, count);
  }
  const torch::Tensor stream =
      torch::bitwise_and(torch::bitwise_right_shift(in.unsqueeze(1), steps(8, 1, in)), 1).reshape(-1);
  return torch::bitwise_left_shift(stream.narrow(0, 0, count * bits).view({count, bits}), steps(bits, 1, in)).sum(1);
}

torch::Tensor integer_bytes(const torch::Tensor& values, int width) {
  const torch::Tensor v = values.to(torch::kInt64);
  return torch::bitwise_and(torch::bitwise_right_shift(v.unsqueeze(1), steps(width, 8, v)), 0xFF)
      .to(torch::kUInt8)
      .reshape(-1);
}

torch::Tensor read_integers(const torch::Tensor& bytes, int64_t count, int width) {
  const torch::Tensor in = bytes.narrow(0, 0, count * width).to(torch::kInt64).view({count, width});
  return torch::bitwise_left_shift(in, steps(width, 8, in)).sum(1);
}

torch::Tensor uniforms(uint64_t seed, int64_t n, const torch::TensorOptions& options) {
  const torch::Tensor index = torch::arange(n, options.dtype(torch::kInt64));
  const auto low_key = static_cast<int64_t>(seed & 0xFFFFFFFFu), high_key = static_cast<int64_t>(seed >> 32);
  torch::Tensor x = hash32(torch::bitwise_xor(torch::bitwise_and(index, int64_t{0xFFFFFFFF}), low_key));
  x = hash32(torch::bitwise_xor(torch::bitwise_xor(x, torch::bitwise_right_shift(index, 32)), high_key));
  return torch::bitwise_right_shift(x, 8).to(torch::kFloat32).mul_(1.0 / 16777216.0);
}

}  // namespace iddl::compress::device
