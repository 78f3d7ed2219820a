#pragma once
#include <cstdint>
#include <string>

namespace iddl::vertical {

// One value of the vertical axis, as the matrix resolved it (docs/structure.md).
struct VerticalOptions {
  std::string method = "none";   // none, partition, ensemble or adaboost (matrix/axis_methods.cpp)
  std::string combine = "mean";  // ensemble: the members' logits combined by their mean or a fitted linear layer
  double combiner_lr = 0.005;    // ensemble, combine = linear: the combiner's learning rate
  std::string training = "separate";  // ensemble: members alone (combiner fitted after each epoch) or end_to_end
  int64_t members = 3;                    // adaboost: members trained in turn
  std::string update = "samme";           // adaboost: samme (misclassified weights raised) or seed (correct ones)
  std::string sample_weighting = "repeat";  // adaboost: batches repeated by weight, or weighted loss
};

}  // namespace iddl::vertical
