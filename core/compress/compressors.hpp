#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/compress/compressor.hpp"

namespace iddl::compress {

// Bytes of one index into a vector of n entries: the narrowest of 1, 2, 4, 8 that holds n-1.
int index_bytes(int64_t n);

// Sparse payloads (topk, randomk, threshold): count indices (index_bytes(n) each) then count float32 values.
class SparseCompressor : public Compressor {
 public:
  // Adds the listed values times `weight` at their indices; the count is the payload's size over index_bytes(n) + 4.
  void decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const override;

 protected:
  // The payload of the entries x[i] * scale at the ascending `indices` of a vector of n entries.
  static torch::Tensor pack(const std::vector<int64_t>& indices, const float* x, float scale, int64_t n);
};

// The k = max(1, ceil(ratio n)) entries of largest magnitude. Ties at the k-th largest magnitude: ExactK sends k
// entries, the lower indices first; Keep sends every entry at least that large (seed 003), so possibly more than k.
class TopK : public SparseCompressor {
 public:
  enum class Ties { ExactK, Keep };
  explicit TopK(double ratio, Ties ties = Ties::ExactK);
  torch::Tensor encode(const torch::Tensor& values) override;
  // Entries kept out of n (with Ties::Keep, the least kept).
  int64_t k(int64_t n) const;

 private:
  double ratio_;
  Ties ties_;
};

// k = max(1, ceil(ratio n)) entries drawn uniformly without replacement (Floyd's algorithm from a 64-bit seed the
// generator draws), sent as they are (seed 003), or scaled by n/k when `scaled` (unbiased). Indices::Sent: the sparse
// payload; Indices::SharedSeed: the seed (8 bytes) then the k values, the receiver redrawing the indices from it.
class RandomK : public SparseCompressor {
 public:
  enum class Indices { Sent, SharedSeed };
  RandomK(double ratio, bool scaled, torch::Generator generator, Indices indices = Indices::Sent);
  torch::Tensor encode(const torch::Tensor& values) override;
  void decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const override;

 private:
  // The factor the sent values carry: n / count when scaled, else 1.
  float scale(int64_t n, int64_t count) const;

  double ratio_;
  bool scaled_;
  Indices indices_;
  torch::Generator generator_;
};

// The entries with |x| >= v (a payload of variable size).
class Threshold : public SparseCompressor {
 public:
  explicit Threshold(double v);
  torch::Tensor encode(const torch::Tensor& values) override;

 private:
  double v_;
};

// TernGrad: float32 scale s = max|x|, then each entry sign(x) Bernoulli(|x|/s) as a 2-bit code, 4 per byte (unbiased).
class TernGrad : public Compressor {
 public:
  explicit TernGrad(torch::Generator generator);
  torch::Tensor encode(const torch::Tensor& values) override;
  void decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const override;
  torch::Tensor decode(const torch::Tensor& payload, int64_t numel) const override;

 private:
  torch::Generator generator_;
};

// QSGD: float32 L2 norm, each |x| stochastically rounded to one of `levels` levels (bit-packed), sign bits (unbiased).
class Qsgd : public Compressor {
 public:
  Qsgd(int levels, torch::Generator generator);
  torch::Tensor encode(const torch::Tensor& values) override;
  void decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const override;
  torch::Tensor decode(const torch::Tensor& payload, int64_t numel) const override;
  // Bits of one level code: ceil(log2(levels)).
  int level_bits() const { return bits_; }

 private:
  int levels_;
  int bits_;
  torch::Generator generator_;
};

// Half precision, 2 bytes per entry (magnitudes beyond 65504 are clamped).
class Fp16 : public Compressor {
 public:
  torch::Tensor encode(const torch::Tensor& values) override;
  void decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const override;
  torch::Tensor decode(const torch::Tensor& payload, int64_t numel) const override;
};

// Scaled sign (EF-SignSGD): float32 scale mean|x|, then one sign bit per entry, 8 per byte.
class SignSgd : public Compressor {
 public:
  torch::Tensor encode(const torch::Tensor& values) override;
  void decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const override;
  torch::Tensor decode(const torch::Tensor& payload, int64_t numel) const override;
};

}  // namespace iddl::compress
