#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace iddl::compress {

// Entries a sparse compressor of `ratio` keeps of n: max(1, ceil(ratio n)) capped at n (0 for an empty vector).
int64_t kept_count(double ratio, int64_t n);

// The k ascending indices of the uniformly drawn k-subset of [0, n) that `seed` stands for (Floyd's algorithm on a
// SplitMix64 stream: sender and receivers draw the same).
std::vector<int64_t> draw_subset(uint64_t seed, int64_t n, int64_t k);

// A 64-bit word drawn from a CPU `generator`.
uint64_t draw_seed(torch::Generator& generator);

}  // namespace iddl::compress
