#pragma once
#include <nlohmann/json.hpp>

#include "core/data/dataset.hpp"
#include "core/models/model.hpp"
#include "core/train/train_options.hpp"
#include "matrix/run_spec.hpp"

namespace iddl::runners {

// The run spec and its parser live in matrix/run_spec.hpp (no LibTorch, so that it can be fuzzed alone).
using matrix::parse_run_spec;
using matrix::RunSpec;

// The training core's views of a resolved config.
train::TrainOptions train_options(const nlohmann::json& config);
data::DataOptions data_options(const nlohmann::json& config);
models::ModelOptions model_options(const nlohmann::json& config);

}  // namespace iddl::runners
