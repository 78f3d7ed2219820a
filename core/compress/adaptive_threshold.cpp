#include "core/compress/adaptive_threshold.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/compress/input_check.hpp"

namespace iddl::compress {

torch::Tensor AdaptiveThreshold::encode(const torch::Tensor& values) {
  check_input(values, "adaptive_threshold", true);
  const float* x = values.data_ptr<float>();
  const int64_t n = values.numel();
  // Magnitudes with NaN as infinity, so that a NaN is sent and not lost (as topk does).
  const auto magnitude = [x](int64_t i) { return std::isnan(x[i]) ? INFINITY : std::fabs(x[i]); };
  float largest = 0.0f;
  for (int64_t i = 0; i < n; ++i) largest = std::max(largest, magnitude(i));
  std::vector<int64_t> kept;
  if (largest > 0.0f) {
    // The seed's test, |2x| < max zeroes an entry: 2|x| is exact in float32, so this is |x| >= max / 2.
    for (int64_t i = 0; i < n; ++i)
      if (2.0f * magnitude(i) >= largest) kept.push_back(i);
  }
  return pack(kept, x, 1.0f, n);
}

}  // namespace iddl::compress
