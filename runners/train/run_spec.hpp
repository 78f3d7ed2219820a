#pragma once
#include <nlohmann/json.hpp>

#include <optional>

#include "core/compress/compression_options.hpp"
#include "core/data/dataset.hpp"
#include "core/horizontal/early_exit_model.hpp"
#include "core/models/model.hpp"
#include "core/parallel/strategy_registry.hpp"
#include "core/train/train_options.hpp"
#include "core/vertical/vertical_options.hpp"
#include "matrix/run_spec.hpp"

namespace iddl::runners {

// The run spec and its parser live in matrix/run_spec.hpp (no LibTorch, so that it can be fuzzed alone).
using matrix::parse_run_spec;
using matrix::RunSpec;

// The training core's views of a resolved config (checked and normalized by the matrix: no check here).
train::TrainOptions train_options(const nlohmann::json& config);
data::DataOptions data_options(const nlohmann::json& config);
models::ModelOptions model_options(const nlohmann::json& config);
models::TrainingLoss training_loss(const nlohmann::json& config);
parallel::StrategyOptions strategy_options(const nlohmann::json& config);
vertical::VerticalOptions vertical_options(const nlohmann::json& config);
// The early exits of the horizontal axis; none for horizontal = "none".
std::optional<horizontal::EarlyExitOptions> early_exit_options(const nlohmann::json& config);

// The core's view of a resolved augment value ({"method": NAME, every parameter}).
data::AugmentOptions augment_options(const nlohmann::json& augment);

// The core's view of a resolved compression axis value ({"method": NAME, every parameter}).
compress::CompressionOptions compression_options(const nlohmann::json& compression);

}  // namespace iddl::runners
