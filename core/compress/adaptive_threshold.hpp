#pragma once
#include <torch/torch.h>

#include "core/compress/compressors.hpp"

namespace iddl::compress {

// Seed 003's adaptive threshold: the entries with 2|x| >= max|x| (|x| >= max|x| / 2), as a sparse payload of
// variable size; a vector of zeros sends nothing.
class AdaptiveThreshold : public SparseCompressor {
 public:
  torch::Tensor encode(const torch::Tensor& values) override;
};

}  // namespace iddl::compress
