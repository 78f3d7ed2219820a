#pragma once
// Byte-level building blocks of the device compressors, in torch operations on any device.
#include <torch/torch.h>

#include <cstdint>

namespace iddl::compress::device {

// The 4 bytes (uint8) of a float32 tensor of one entry.
torch::Tensor float_bytes(const torch::Tensor& value);
// `bytes` (1-D uint8) as `type`: a view when its offset allows one, else a view of a copy.
torch::Tensor reinterpret(const torch::Tensor& bytes, torch::ScalarType type);
// The float32 tensor of one entry the first 4 of `bytes` hold.
torch::Tensor read_float(const torch::Tensor& bytes);

// The low `bits` (1..16) bits of each int64 code, least significant bit first, as pack_bits lays them out:
// packed_bytes(count, bits) uint8 on the codes' device.
torch::Tensor pack_codes(const torch::Tensor& codes, int bits);
// The `count` int64 codes of `bits` (1..16) bits that pack_codes wrote into the first packed_bytes(count, bits) of
// `bytes`.
torch::Tensor unpack_codes(const torch::Tensor& bytes, int64_t count, int bits);

// Little-endian integers of `width` bytes (1, 2, 4, 8) of non-negative int64 values, width bytes each.
torch::Tensor integer_bytes(const torch::Tensor& values, int width);
// The int64 values of `count` integers of `width` bytes that integer_bytes wrote.
torch::Tensor read_integers(const torch::Tensor& bytes, int64_t count, int width);

// n uniform float32 values in [0, 1) with 24 bits of resolution on the device of `options`: a counter-based hash
// of (seed, index), the same values on every device, drawn in parallel.
torch::Tensor uniforms(uint64_t seed, int64_t n, const torch::TensorOptions& options);

}  // namespace iddl::compress::device
