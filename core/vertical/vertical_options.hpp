#pragma once
#include <string>

namespace iddl::vertical {

// One value of the vertical axis, as the matrix resolved it (docs/structure.md).
struct VerticalOptions {
  std::string method = "none";   // none, partition or ensemble (matrix/axis_methods.cpp)
  std::string combine = "mean";  // ensemble: the members' logits combined by their mean or a fitted linear layer
  double combiner_lr = 0.005;    // ensemble, combine = linear: the combiner's learning rate
};

}  // namespace iddl::vertical
