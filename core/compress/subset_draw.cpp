// The draws of the random sparse compressors, shared by the CPU kernels and the device flavours.
#include "core/compress/subset_draw.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace iddl::compress {
namespace {

// SplitMix64: the stream of 64-bit words a RandomK seed stands for (sender and receivers draw the same).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // A uniform integer in [0, bound) (Lemire's multiply-and-reject: no modulo bias).
  uint64_t below(uint64_t bound) {
    __uint128_t product = static_cast<__uint128_t>(next()) * bound;
    auto low = static_cast<uint64_t>(product);
    if (low < bound) {
      const uint64_t floor = (0 - bound) % bound;
      while (low < floor) {
        product = static_cast<__uint128_t>(next()) * bound;
        low = static_cast<uint64_t>(product);
      }
    }
    return static_cast<uint64_t>(product >> 64);
  }

 private:
  uint64_t state_;
};

}  // namespace

// The guard keeps ceil(0.01 * 300) at 3.
int64_t kept_count(double ratio, int64_t n) {
  if (n == 0) return 0;
  const auto k = static_cast<int64_t>(std::ceil(ratio * static_cast<double>(n) - 1e-9));
  return std::min(n, std::max<int64_t>(1, k));
}

// Floyd's algorithm: O(k) draws on a bitmap of n bits, read out in ascending order.
std::vector<int64_t> draw_subset(uint64_t seed, int64_t n, int64_t k) {
  SplitMix64 stream(seed);
  std::vector<uint64_t> chosen(static_cast<size_t>((n + 63) / 64), 0);
  const auto set = [&chosen](int64_t i) {
    uint64_t& word = chosen[static_cast<size_t>(i / 64)];
    const uint64_t bit = uint64_t{1} << (i % 64);
    const bool was = (word & bit) != 0;
    word |= bit;
    return !was;
  };
  for (int64_t j = n - k; j < n; ++j)
    if (!set(static_cast<int64_t>(stream.below(static_cast<uint64_t>(j) + 1)))) set(j);
  std::vector<int64_t> indices;
  indices.reserve(static_cast<size_t>(k));
  for (size_t w = 0; w < chosen.size(); ++w)
    for (uint64_t word = chosen[w]; word != 0; word &= word - 1)
      indices.push_back(static_cast<int64_t>(64 * w) + __builtin_ctzll(word));
  return indices;
}

uint64_t draw_seed(torch::Generator& generator) {
  auto* cpu = at::check_generator<at::CPUGeneratorImpl>(generator);
  std::lock_guard<std::mutex> lock(cpu->mutex_);
  return cpu->random64();
}

}  // namespace iddl::compress
