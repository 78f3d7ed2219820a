#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace iddl::compress {

// The per-bucket minimum and step (float32, one entry per bucket) a quantized payload carries.
struct BucketTable {
  torch::Tensor min;
  torch::Tensor step;
};

// How the codes of a payload travel: Packed, bits + split bits each, bit-packed; Int, each code in a whole integer
// as seed 004 sends them: one byte up to 8 bits, two (little-endian) above.
enum class CodeContainer { Packed, Int };

// Quantizes activations without communicating: the values split into 2^split equal-count buckets of the sorted
// order, each with min and step = (max - min) / (2^bits - 1); an entry's code is round((x - min) / step) with its
// bucket in the high bits (bits + split bits, in its container). Payload: the (min, step) table, then the codes.
class ActivationQuantizer {
 public:
  // `bits` 1..16 per code, `split` 0..8 (2^split buckets; 0: one bucket, no sort).
  ActivationQuantizer(int bits, int split, CodeContainer container = CodeContainer::Packed);

  // The payload (1-D kUInt8) of a float tensor of any shape.
  torch::Tensor encode(const torch::Tensor& x) const;
  // The float32 tensor of `shape` that `payload` stands for.
  torch::Tensor decode(const torch::Tensor& payload, at::IntArrayRef shape) const;
  // The (min, step) table of `payload`.
  BucketTable table(const torch::Tensor& payload) const;
  // Payload bytes for `numel` values: 8 * 2^split + ceil(numel * wire bits / 8).
  int64_t payload_bytes(int64_t numel) const;
  // Bits one code takes on the wire: bits + split packed; 8 or 16 in an Int container.
  int wire_bits() const;

 private:
  int bits_;
  int split_;
  CodeContainer container_;
};

// Seed 004's sort quantization: `bits` in {4, 8, 12, 16}, 2^split buckets (split 1..8).
ActivationQuantizer sortquant(int bits, int split, CodeContainer container = CodeContainer::Packed);
// One min and step for the whole tensor, `bits` 1..16 per code.
ActivationQuantizer uniform(int bits, CodeContainer container = CodeContainer::Packed);

}  // namespace iddl::compress
