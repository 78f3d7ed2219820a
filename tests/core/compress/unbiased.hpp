#pragma once
// Checks that a random compressor's decodes average to its input.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/compress/compressor.hpp"

namespace iddl::testing {

// The mean of `draws` decodes of independent encodes of `x`.
inline torch::Tensor mean_of_decodes(compress::Compressor& compressor, const torch::Tensor& x, int draws) {
  torch::Tensor sum = torch::zeros_like(x);
  for (int i = 0; i < draws; ++i) compressor.decode_add(compressor.encode(x), 1.0, sum);
  return sum / draws;
}

// Expects |mean - x| within 5 standard errors (`sd`: per-entry standard deviation of one decode) of every entry,
// plus the float32 rounding of summing the draws.
inline void expect_unbiased(const torch::Tensor& mean, const torch::Tensor& x, const torch::Tensor& sd, int draws) {
  const torch::Tensor bound = 5.0 * sd / std::sqrt(static_cast<double>(draws)) + 1e-4 * x.abs().max();
  const torch::Tensor excess = (mean - x).abs() - bound;
  EXPECT_LE(excess.max().item<float>(), 0.0f) << "worst entry " << excess.argmax().item<int64_t>();
}

}  // namespace iddl::testing
