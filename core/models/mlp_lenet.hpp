#pragma once
#include <cstdint>
#include <vector>

#include "core/models/model.hpp"
#include "core/models/sparsification.hpp"

namespace iddl::models {

// Flatten, per hidden width a Linear layer, its activation and dropout (training mode only; Bernoulli or
// Gaussian: activation.dropout_kind), Linear to the classes (the output layer is not hidden).
StagedModel make_mlp(const std::vector<int64_t>& hidden, const HiddenActivation& activation, const InputShape& shape,
                     LayerFactory layers);

// LeNet-5: conv 6@5x5 padded to a 28x28 output, pool, conv 16@5x5, pool, FC 120, 84, classes.
// Throws std::invalid_argument for inputs that cannot be padded to 28x28 (larger than 32, odd gap).
// Hidden layers (thinned by "hidden" sparsity): conv2; "all" thins every layer.
StagedModel make_lenet(const InputShape& shape, LayerFactory layers);

}  // namespace iddl::models
