// The sparse compressors (topk, randomk, threshold) and their shared payload: indices, then values.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/compress/compressors.hpp"

namespace iddl::compress {
namespace {

// k = max(1, ceil(ratio n)) capped at n (0 for an empty vector); the guard keeps ceil(0.01 * 300) at 3.
int64_t kept(double ratio, int64_t n) {
  if (n == 0) return 0;
  const auto k = static_cast<int64_t>(std::ceil(ratio * static_cast<double>(n) - 1e-9));
  return std::min(n, std::max<int64_t>(1, k));
}

template <typename Index>
void write_indices(const int64_t* indices, int64_t count, uint8_t* out) {
  for (int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<Index>(indices[i]);
    std::memcpy(out + i * static_cast<int64_t>(sizeof(Index)), &index, sizeof(Index));
  }
}

template <typename Index>
void read_indices(const uint8_t* in, int64_t count, int64_t n, int64_t* indices) {
  for (int64_t i = 0; i < count; ++i) {
    Index index;
    std::memcpy(&index, in + i * static_cast<int64_t>(sizeof(Index)), sizeof(Index));
    indices[i] = static_cast<int64_t>(index);
    if (indices[i] < 0 || indices[i] >= n)
      throw std::runtime_error("sparse payload: index " + std::to_string(indices[i]) + " out of " + std::to_string(n));
  }
}

}  // namespace

int index_bytes(int64_t n) {
  const uint64_t largest = n > 0 ? static_cast<uint64_t>(n - 1) : 0;
  if (largest <= 0xFFu) return 1;
  if (largest <= 0xFFFFu) return 2;
  if (largest <= 0xFFFFFFFFu) return 4;
  return 8;
}

torch::Tensor SparseCompressor::pack(const torch::Tensor& indices, const torch::Tensor& values, int64_t n) {
  const int width = index_bytes(n);
  const int64_t count = indices.numel();
  torch::Tensor payload = torch::empty({count * (width + 4)}, torch::kUInt8);
  uint8_t* out = payload.data_ptr<uint8_t>();
  const torch::Tensor index_list = indices.to(torch::kInt64).contiguous();
  const int64_t* index_data = index_list.data_ptr<int64_t>();
  switch (width) {
    case 1: write_indices<uint8_t>(index_data, count, out); break;
    case 2: write_indices<uint16_t>(index_data, count, out); break;
    case 4: write_indices<uint32_t>(index_data, count, out); break;
    default: write_indices<int64_t>(index_data, count, out); break;
  }
  const torch::Tensor value_list = values.to(torch::kFloat32).contiguous();
  if (count > 0) std::memcpy(out + count * width, value_list.data_ptr<float>(), static_cast<size_t>(count) * 4);
  return payload;
}

void SparseCompressor::decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const {
  const int64_t n = sum.numel();
  const int width = index_bytes(n);
  const int64_t count = payload.numel() / (width + 4);
  if (count == 0) return;
  const torch::Tensor bytes = payload.contiguous();
  const uint8_t* in = bytes.data_ptr<uint8_t>();
  torch::Tensor indices = torch::empty({count}, torch::kInt64);
  int64_t* index_data = indices.data_ptr<int64_t>();
  switch (width) {
    case 1: read_indices<uint8_t>(in, count, n, index_data); break;
    case 2: read_indices<uint16_t>(in, count, n, index_data); break;
    case 4: read_indices<uint32_t>(in, count, n, index_data); break;
    default: read_indices<int64_t>(in, count, n, index_data); break;
  }
  torch::Tensor values = torch::empty({count}, torch::kFloat32);
  std::memcpy(values.data_ptr<float>(), in + count * width, static_cast<size_t>(count) * 4);
  if (weight != 1.0) values.mul_(weight);
  sum.index_add_(0, indices, values);
}

TopK::TopK(double ratio, Ties ties) : ratio_(ratio), ties_(ties) {
  if (!(ratio > 0.0 && ratio <= 1.0)) throw std::invalid_argument("topk: ratio must be in (0, 1]");
}

int64_t TopK::k(int64_t n) const { return kept(ratio_, n); }

torch::Tensor TopK::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const int64_t count = k(n);
  if (count == n) return pack(torch::arange(n, torch::kInt64), values, n);
  const torch::Tensor list = values.to(torch::kFloat32).contiguous();
  const float* x = list.data_ptr<float>();
  // Magnitudes (NaN as infinity, so it is sent and not lost); the k-th largest is the cut.
  const auto magnitude = [x](int64_t i) { return std::isnan(x[i]) ? INFINITY : std::fabs(x[i]); };
  std::vector<float> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = magnitude(i);
  const auto cut = order.begin() + (n - count);
  std::nth_element(order.begin(), cut, order.end());
  const float kth = *cut;
  if (ties_ == Ties::Keep) {
    // Every entry at least as large as the cut, as the seed's mask |x| >= kthvalue keeps them.
    const int64_t at_least = std::count_if(order.begin(), order.end(), [kth](float m) { return m >= kth; });
    torch::Tensor indices = torch::empty({at_least}, torch::kInt64);
    int64_t* index = indices.data_ptr<int64_t>();
    for (int64_t i = 0, taken = 0; i < n; ++i)
      if (magnitude(i) >= kth) index[taken++] = i;
    return pack(indices, list.index_select(0, indices), n);
  }
  const int64_t above = std::count_if(cut, order.end(), [kth](float m) { return m > kth; });
  // Every entry above the cut, then the lowest-index entries at it until k are taken.
  torch::Tensor indices = torch::empty({count}, torch::kInt64);
  int64_t* index = indices.data_ptr<int64_t>();
  int64_t taken = 0, ties = count - above;
  for (int64_t i = 0; i < n && taken < count; ++i) {
    const float m = magnitude(i);
    if (m > kth || (m == kth && ties-- > 0)) index[taken++] = i;
  }
  return pack(indices, list.index_select(0, indices), n);
}

RandomK::RandomK(double ratio, bool scaled, torch::Generator generator)
    : ratio_(ratio), scaled_(scaled), generator_(std::move(generator)) {
  if (!(ratio > 0.0 && ratio <= 1.0)) throw std::invalid_argument("randomk: ratio must be in (0, 1]");
}

torch::Tensor RandomK::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const int64_t count = kept(ratio_, n);
  const torch::Tensor indices = std::get<0>(torch::randperm(n, generator_).narrow(0, 0, count).sort());
  torch::Tensor picked = values.index_select(0, indices);
  if (scaled_ && count > 0) picked.mul_(static_cast<double>(n) / static_cast<double>(count));
  return pack(indices, picked, n);
}

Threshold::Threshold(double v) : v_(v) {
  if (!(v >= 0.0)) throw std::invalid_argument("threshold: v must be >= 0");
}

torch::Tensor Threshold::encode(const torch::Tensor& values) {
  const torch::Tensor list = values.to(torch::kFloat32).contiguous();
  const float* x = list.data_ptr<float>();
  std::vector<int64_t> kept_indices;
  for (int64_t i = 0; i < list.numel(); ++i)
    if (std::fabs(x[i]) >= v_) kept_indices.push_back(i);
  const torch::Tensor indices =
      torch::from_blob(kept_indices.data(), {static_cast<int64_t>(kept_indices.size())}, torch::kInt64);
  return pack(indices, list.index_select(0, indices), list.numel());
}

}  // namespace iddl::compress
