#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/models/model.hpp"
#include "core/sparsity/connection_mask.hpp"

namespace iddl::models {

// One method of the sparsification axis and the connections it keeps in a thinned layer; its parameters, defaults
// and ranges are its spec in matrix/axis_methods.cpp.
struct SparsificationMethod {
  std::string name;
  // The [out, in_group] mask of thinned layer number `layer` (construction order) within one group; null: no layer
  // is thinned.
  sparsity::Mask (*mask)(const SparsityOptions& options, int64_t in_group, int64_t out, int64_t layer) = nullptr;
  bool masks_convolutions = true;  // false: convolutions are thinned by their groups alone (no mask)
};

// Every sparsification method, in the order of matrix's spec.
const std::vector<SparsificationMethod>& sparsification_registry();

// The row of `method`; throws std::logic_error when it has none (the matrix only resolves known methods).
const SparsificationMethod& sparsification_method(std::string_view method);

}  // namespace iddl::models
