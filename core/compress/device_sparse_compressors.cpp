// The device flavours of topk, randomk, threshold and adaptive_threshold: torch operations writing the sparse payload.
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/compress/device_codec.hpp"
#include "core/compress/device_compressors.hpp"
#include "core/compress/input_check.hpp"
#include "core/compress/subset_draw.hpp"

namespace iddl::compress {
namespace {

// |x| with NaN as infinity (sent, so not lost), as the CPU kernels rank entries.
torch::Tensor magnitudes(const torch::Tensor& x) {
  return torch::where(x.isnan(), torch::full_like(x, INFINITY), x.abs());
}

// The ascending indices of the true entries of a 1-D mask (one wait for the device: the count).
torch::Tensor true_indices(const torch::Tensor& mask) { return mask.nonzero().reshape(-1); }

// The indices drawn on the host, as int64 on `device`.
torch::Tensor on_device(const std::vector<int64_t>& indices, const torch::Device& device) {
  return torch::tensor(indices, torch::kInt64).to(device);
}

// Adds weight times `values` (float32 bytes) at `indices` of `sum`, after checking every index is below n.
void add_at(const torch::Tensor& indices, const torch::Tensor& value_bytes, const torch::Tensor& weight,
            torch::Tensor& sum, const std::string& method) {
  const int64_t n = sum.numel();
  const torch::Tensor outside = (indices < 0) | (indices >= n);
  if (outside.any().item<bool>()) {
    const int64_t index = indices.masked_select(outside)[0].item<int64_t>();
    throw std::runtime_error(method + " payload: index " + std::to_string(index) + " out of " + std::to_string(n));
  }
  const torch::Tensor values = device::reinterpret(value_bytes, torch::kFloat32);
  sum.index_add_(0, indices, values * weight.to(torch::kFloat32));
}

}  // namespace

torch::Tensor DeviceSparse::pack(const torch::Tensor& indices, const torch::Tensor& values, int64_t n) {
  return torch::cat({device::integer_bytes(indices, index_bytes(n)), values.contiguous().view(torch::kUInt8)});
}

void DeviceSparse::decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                                       torch::Tensor& sum) const {
  check_sum(sum, method_, payload.device());
  const int width = index_bytes(sum.numel());
  const int64_t count = payload.numel() / (width + 4);
  if (count == 0) return;
  add_at(device::read_integers(payload, count, width), payload.narrow(0, count * width, 4 * count), weight, sum,
         method_);
}

DeviceTopK::DeviceTopK(double ratio, TopK::Ties ties) : DeviceSparse("topk"), ratio_(ratio), ties_(ties) {
  if (!(ratio > 0.0 && ratio <= 1.0)) throw std::invalid_argument("topk: ratio must be in (0, 1]");
}

torch::Tensor DeviceTopK::encode(const torch::Tensor& values) {
  check_input(values, "topk", false);
  const int64_t n = values.numel(), count = kept_count(ratio_, n);
  if (count == 0) return torch::empty({0}, values.options().dtype(torch::kUInt8));
  const torch::Tensor m = magnitudes(values);
  const torch::Tensor kth = std::get<0>(m.topk(count)).min();
  torch::Tensor mask;
  if (ties_ == TopK::Ties::Keep) {
    mask = m >= kth;  // every entry at least as large as the cut, as the seed's mask keeps them
  } else {
    // Every entry above the cut, then the lowest-index entries at it until k are taken.
    const torch::Tensor above = m > kth, at = m == kth;
    const torch::Tensor ties = count - above.sum();
    mask = above | (at & (at.cumsum(0) <= ties));
  }
  const torch::Tensor indices = true_indices(mask);
  return pack(indices, values.index_select(0, indices), n);
}

DeviceRandomK::DeviceRandomK(double ratio, bool scaled, torch::Generator generator, RandomK::Indices indices)
    : DeviceSparse("randomk"), ratio_(ratio), scaled_(scaled), indices_(indices), generator_(std::move(generator)) {
  if (!(ratio > 0.0 && ratio <= 1.0)) throw std::invalid_argument("randomk: ratio must be in (0, 1]");
}

torch::Tensor DeviceRandomK::encode(const torch::Tensor& values) {
  check_input(values, "randomk", false);
  const int64_t n = values.numel(), count = kept_count(ratio_, n);
  const uint64_t seed = draw_seed(generator_);
  const torch::Tensor indices = on_device(draw_subset(seed, n, count), values.device());
  const float factor =
      scaled_ && count > 0 ? static_cast<float>(static_cast<double>(n) / static_cast<double>(count)) : 1.0f;
  const torch::Tensor picked = values.index_select(0, indices).mul_(factor);
  if (indices_ == RandomK::Indices::Sent) return pack(indices, picked, n);
  torch::Tensor head = torch::empty({8}, torch::kUInt8);
  std::memcpy(head.data_ptr<uint8_t>(), &seed, 8);
  return torch::cat({head.to(values.device()), picked.view(torch::kUInt8)});
}

void DeviceRandomK::decode_add_weighted(const torch::Tensor& payload, const torch::Tensor& weight,
                                        torch::Tensor& sum) const {
  if (indices_ == RandomK::Indices::Sent) {
    DeviceSparse::decode_add_weighted(payload, weight, sum);
    return;
  }
  check_sum(sum, "randomk", payload.device());
  const int64_t n = sum.numel(), count = kept_count(ratio_, n);
  if (payload.scalar_type() != torch::kUInt8 || payload.numel() < 8 + 4 * count)
    throw std::runtime_error("randomk payload: " + std::to_string(payload.numel()) + " bytes, expected " +
                             std::to_string(8 + 4 * count) + " uint8");
  // The seed (8 bytes) is read on the host, where the receiver redraws the sender's indices.
  const torch::Tensor head = payload.narrow(0, 0, 8).to(torch::kCPU).contiguous();
  uint64_t seed;
  std::memcpy(&seed, head.data_ptr<uint8_t>(), 8);
  const torch::Tensor values = device::reinterpret(payload.narrow(0, 8, 4 * count), torch::kFloat32);
  sum.index_add_(0, on_device(draw_subset(seed, n, count), sum.device()), values * weight.to(torch::kFloat32));
}

DeviceThreshold::DeviceThreshold(double v) : DeviceSparse("threshold"), v_(v) {
  if (!(v >= 0.0)) throw std::invalid_argument("threshold: v must be >= 0");
}

torch::Tensor DeviceThreshold::encode(const torch::Tensor& values) {
  check_input(values, "threshold", false);
  // |x| >= v_ (a double) in float: against the least float at least v_, as the CPU kernel compares.
  float v = static_cast<float>(v_);
  if (static_cast<double>(v) < v_) v = std::nextafter(v, INFINITY);
  const torch::Tensor indices = true_indices(values.abs() >= v);
  return pack(indices, values.index_select(0, indices), values.numel());
}

torch::Tensor DeviceAdaptiveThreshold::encode(const torch::Tensor& values) {
  check_input(values, "adaptive_threshold", false);
  if (values.numel() == 0) return torch::empty({0}, values.options().dtype(torch::kUInt8));
  const torch::Tensor m = magnitudes(values);
  const torch::Tensor largest = m.max();
  const torch::Tensor indices = true_indices((m * 2.0f >= largest) & (largest > 0.0f));
  return pack(indices, values.index_select(0, indices), values.numel());
}

}  // namespace iddl::compress
