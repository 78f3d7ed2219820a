// The sparse compressors (topk, randomk, threshold) and their shared payload: indices, then values.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/compress/compressors.hpp"
#include "core/compress/input_check.hpp"
#include "core/compress/subset_draw.hpp"

namespace iddl::compress {
namespace {

template <typename Index>
void write_indices(const int64_t* indices, int64_t count, uint8_t* out) {
  for (int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<Index>(indices[i]);
    std::memcpy(out + i * static_cast<int64_t>(sizeof(Index)), &index, sizeof(Index));
  }
}

// Adds weight * value[i] at index[i] (read as `Index`) for `count` entries, each index checked against n.
template <typename Index>
void add_entries(const uint8_t* index, const uint8_t* value, int64_t count, int64_t n, float weight, float* sum) {
  for (int64_t i = 0; i < count; ++i) {
    Index at;
    float v;
    std::memcpy(&at, index + i * static_cast<int64_t>(sizeof(Index)), sizeof(Index));
    std::memcpy(&v, value + 4 * i, 4);
    const auto position = static_cast<int64_t>(at);
    if (position < 0 || position >= n)
      throw std::runtime_error("sparse payload: index " + std::to_string(position) + " out of " + std::to_string(n));
    sum[position] += weight * v;
  }
}

// The floats of a contiguous float32 CPU input of `method` (throws std::invalid_argument naming what is wrong).
const float* float_data(const torch::Tensor& values, const std::string& method) {
  check_input(values, method, true);
  return values.data_ptr<float>();
}

// |x| with NaN as infinity (sent, so not lost).
inline float magnitude(float x) { return std::isnan(x) ? INFINITY : std::fabs(x); }

// The ascending indices of the entries with magnitude >= cut (NaN included).
std::vector<int64_t> at_least(const float* x, int64_t n, float cut, size_t expected) {
  std::vector<int64_t> indices;
  indices.reserve(expected);
  for (int64_t i = 0; i < n; ++i)
    if (!(std::fabs(x[i]) < cut)) indices.push_back(i);
  return indices;
}

// A magnitude at or below the k-th largest of x's for most inputs, read from a strided sample; 0 when the sample
// cannot tell (small vectors, k near n).
float sampled_cut(const float* x, int64_t n, int64_t k) {
  constexpr int64_t kSample = 1 << 16;
  if (n < 16 * kSample) return 0.0f;
  // Aim at about 1.25 k + 4 standard deviations of candidates, so one pass almost always finds k of them.
  const double expected = static_cast<double>(k) / static_cast<double>(n) * kSample;
  const auto rank = static_cast<int64_t>(std::ceil(1.25 * expected + 4.0 * std::sqrt(expected) + 8.0));
  if (rank >= kSample / 2) return 0.0f;
  std::vector<float> sample(static_cast<size_t>(kSample));
  const int64_t stride = n / kSample;
  for (int64_t s = 0; s < kSample; ++s) sample[static_cast<size_t>(s)] = magnitude(x[s * stride]);
  const auto cut = sample.end() - rank;
  std::nth_element(sample.begin(), cut, sample.end());
  return *cut;
}

}  // namespace

int index_bytes(int64_t n) {
  const uint64_t largest = n > 0 ? static_cast<uint64_t>(n - 1) : 0;
  if (largest <= 0xFFu) return 1;
  if (largest <= 0xFFFFu) return 2;
  if (largest <= 0xFFFFFFFFu) return 4;
  return 8;
}

torch::Tensor SparseCompressor::pack(const std::vector<int64_t>& indices, const float* x, float scale, int64_t n) {
  const int width = index_bytes(n);
  const auto count = static_cast<int64_t>(indices.size());
  torch::Tensor payload = torch::empty({count * (width + 4)}, torch::kUInt8);
  uint8_t* out = payload.data_ptr<uint8_t>();
  switch (width) {
    case 1: write_indices<uint8_t>(indices.data(), count, out); break;
    case 2: write_indices<uint16_t>(indices.data(), count, out); break;
    case 4: write_indices<uint32_t>(indices.data(), count, out); break;
    default: write_indices<int64_t>(indices.data(), count, out); break;
  }
  auto* values = reinterpret_cast<float*>(out + count * width);  // 4-byte aligned: width is 1, 2, 4 or 8
  if (count * width % 4 != 0) {
    for (int64_t i = 0; i < count; ++i) {
      const float v = x[indices[static_cast<size_t>(i)]] * scale;
      std::memcpy(out + count * width + 4 * i, &v, 4);
    }
  } else {
    for (int64_t i = 0; i < count; ++i) values[i] = x[indices[static_cast<size_t>(i)]] * scale;
  }
  return payload;
}

void SparseCompressor::decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const {
  const int64_t n = sum.numel();
  const int width = index_bytes(n);
  const int64_t count = payload.numel() / (width + 4);
  if (count == 0) return;
  check_sum(sum, "sparse", torch::kCPU);
  const torch::Tensor bytes = payload.contiguous();
  const uint8_t* in = bytes.data_ptr<uint8_t>();
  const uint8_t* values = in + count * width;
  const auto w = static_cast<float>(weight);
  float* out = sum.data_ptr<float>();
  switch (width) {
    case 1: add_entries<uint8_t>(in, values, count, n, w, out); break;
    case 2: add_entries<uint16_t>(in, values, count, n, w, out); break;
    case 4: add_entries<uint32_t>(in, values, count, n, w, out); break;
    default: add_entries<int64_t>(in, values, count, n, w, out); break;
  }
}

TopK::TopK(double ratio, Ties ties) : ratio_(ratio), ties_(ties) {
  if (!(ratio > 0.0 && ratio <= 1.0)) throw std::invalid_argument("topk: ratio must be in (0, 1]");
}

int64_t TopK::k(int64_t n) const { return kept_count(ratio_, n); }

torch::Tensor TopK::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const int64_t count = k(n);
  const float* x = float_data(values, "topk");
  // Candidates: every entry at least a cut no larger than the k-th largest magnitude (all of them when the
  // sampled cut would leave fewer than k), in ascending order.
  std::vector<int64_t> candidates;
  if (const float cut = sampled_cut(x, n, count); cut > 0.0f)
    candidates = at_least(x, n, cut, static_cast<size_t>(count + count / 2));
  if (static_cast<int64_t>(candidates.size()) < count) {
    candidates.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) candidates[static_cast<size_t>(i)] = i;
  }
  if (count == 0 || count == static_cast<int64_t>(candidates.size())) return pack(candidates, x, 1.0f, n);
  // The k-th largest magnitude among the candidates is the k-th largest of the vector: the cut.
  std::vector<float> order(candidates.size());
  for (size_t c = 0; c < candidates.size(); ++c) order[c] = magnitude(x[candidates[c]]);
  const auto cut = order.end() - count;
  std::nth_element(order.begin(), cut, order.end());
  const float kth = *cut;
  std::vector<int64_t> indices;
  indices.reserve(static_cast<size_t>(count));
  if (ties_ == Ties::Keep) {
    // Every entry at least as large as the cut, as the seed's mask |x| >= kthvalue keeps them.
    for (const int64_t i : candidates)
      if (magnitude(x[i]) >= kth) indices.push_back(i);
    return pack(indices, x, 1.0f, n);
  }
  // Every entry above the cut, then the lowest-index entries at it until k are taken.
  const int64_t above = std::count_if(cut, order.end(), [kth](float m) { return m > kth; });
  int64_t ties = count - above;
  for (const int64_t i : candidates) {
    const float m = magnitude(x[i]);
    if (m > kth || (m == kth && ties-- > 0)) indices.push_back(i);
  }
  return pack(indices, x, 1.0f, n);
}

RandomK::RandomK(double ratio, bool scaled, torch::Generator generator, Indices indices)
    : ratio_(ratio), scaled_(scaled), indices_(indices), generator_(std::move(generator)) {
  if (!(ratio > 0.0 && ratio <= 1.0)) throw std::invalid_argument("randomk: ratio must be in (0, 1]");
}

float RandomK::scale(int64_t n, int64_t count) const {
  return scaled_ && count > 0 ? static_cast<float>(static_cast<double>(n) / static_cast<double>(count)) : 1.0f;
}

torch::Tensor RandomK::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const int64_t count = kept_count(ratio_, n);
  const float* x = float_data(values, "randomk");
  const uint64_t seed = draw_seed(generator_);
  const std::vector<int64_t> indices = draw_subset(seed, n, count);
  if (indices_ == Indices::Sent) return pack(indices, x, scale(n, count), n);
  torch::Tensor payload = torch::empty({8 + 4 * count}, torch::kUInt8);
  uint8_t* out = payload.data_ptr<uint8_t>();
  std::memcpy(out, &seed, 8);
  auto* picked = reinterpret_cast<float*>(out + 8);
  const float factor = scale(n, count);
  for (int64_t i = 0; i < count; ++i) picked[i] = x[indices[static_cast<size_t>(i)]] * factor;
  return payload;
}

void RandomK::decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const {
  if (indices_ == Indices::Sent) {
    SparseCompressor::decode_add(payload, weight, sum);
    return;
  }
  const int64_t n = sum.numel();
  const int64_t count = kept_count(ratio_, n);
  if (!payload.is_contiguous() || payload.scalar_type() != torch::kUInt8 || payload.numel() < 8 + 4 * count)
    throw std::runtime_error("randomk payload: " + std::to_string(payload.numel()) + " bytes, expected " +
                             std::to_string(8 + 4 * count) + " contiguous uint8");
  check_sum(sum, "randomk", torch::kCPU);
  const uint8_t* in = payload.data_ptr<uint8_t>();
  uint64_t seed;
  std::memcpy(&seed, in, 8);
  const std::vector<int64_t> indices = draw_subset(seed, n, count);
  const auto w = static_cast<float>(weight);
  float* out = sum.data_ptr<float>();
  for (int64_t i = 0; i < count; ++i) {
    float v;
    std::memcpy(&v, in + 8 + 4 * i, 4);
    out[indices[static_cast<size_t>(i)]] += w * v;
  }
}

Threshold::Threshold(double v) : v_(v) {
  if (!(v >= 0.0)) throw std::invalid_argument("threshold: v must be >= 0");
}

torch::Tensor Threshold::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const float* x = float_data(values, "threshold");
  // |x| >= v_ (a double) in float: against the least float at least v_, the same test for every float |x|.
  float v = static_cast<float>(v_);
  if (static_cast<double>(v) < v_) v = std::nextafter(v, INFINITY);
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += std::fabs(x[i]) >= v;
  std::vector<int64_t> indices(static_cast<size_t>(count) + 1);
  int64_t taken = 0;
  for (int64_t i = 0; i < n; ++i) {  // branch-free: every entry writes the next slot, a kept one advances it
    indices[static_cast<size_t>(taken)] = i;
    taken += std::fabs(x[i]) >= v;
  }
  indices.resize(static_cast<size_t>(count));
  return pack(indices, x, 1.0f, n);
}

}  // namespace iddl::compress
