#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/models/model.hpp"
#include "core/models/sparsification.hpp"

namespace iddl::models {

// One network of the `model` setting and its constructor (its layers built by `layers`); the setting's choices are
// in matrix/settings.cpp.
struct ModelMethod {
  std::string name;
  StagedModel (*make)(const ModelOptions& options, const InputShape& shape, LayerFactory layers);
};

// Every network, in the order of the `model` setting's choices.
const std::vector<ModelMethod>& model_registry();

// The row of `name`; throws std::logic_error naming it when it has none (the matrix only resolves known models).
const ModelMethod& model_method(std::string_view name);

}  // namespace iddl::models
