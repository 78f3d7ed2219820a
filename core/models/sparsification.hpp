#pragma once
#include <cstdint>

#include "core/models/layers.hpp"
#include "core/models/model.hpp"
#include "core/models/sparsification_registry.hpp"
#include "core/sparsity/connection_mask.hpp"

namespace iddl::models {

// Builds a model's Linear and Conv2d layers thinned as a SparsityOptions says (docs/sparsity.md), by
// the row of its method in sparsification_registry.hpp: bibd and random layers get masks, group
// layers are cut into groups (grouped convolutions; a block-diagonal mask for Linear layers). Layers
// are numbered in construction order, so each random layer draws its own mask from the seed. Widths
// are cut to a ModelPart (docs/structure.md).
class LayerFactory {
 public:
  // Throws std::invalid_argument for a part index outside [0, count), std::logic_error for a method
  // without a registry row, groups < 1 or unknown shortcuts / design_over (the matrix resolves none).
  explicit LayerFactory(SparsityOptions options, ModelPart part = {});

  // This part's share of a hidden width `full` (at least 1).
  int64_t width(int64_t full) const;
  // The output layer (in features to classes; thinned only by layers = all), with a bias when `bias` and the part
  // keeps the output bias.
  Linear output(int64_t in, int64_t classes, bool bias = true);

  // A Linear layer, thinned when the options thin it (`hidden`: not the MLP's output layer or a head).
  Linear linear(const torch::nn::LinearOptions& options, bool hidden);
  // A Conv2d layer, thinned when the options thin it (`hidden`: not the first convolution).
  Conv2d conv(const torch::nn::Conv2dOptions& options, bool hidden);
  // A residual shortcut's Conv2d (ResNet-18's 1x1): as a hidden conv, or dense with shortcuts = "dense".
  Conv2d shortcut(const torch::nn::Conv2dOptions& options);

 private:
  // Whether a layer is thinned.
  bool thins(bool hidden) const;
  // The [out, in/groups] mask of the next thinned layer of `in` inputs and `out` outputs (all ones
  // for group; with design_over = all_inputs the [out, in] mask's first in/groups columns); throws
  // std::invalid_argument when the groups do not divide both sides.
  sparsity::Mask next_mask(int64_t in, int64_t out);

  SparsityOptions options_;
  const SparsificationMethod* method_;
  ModelPart part_;
  int64_t layer_ = 0;
};

}  // namespace iddl::models
