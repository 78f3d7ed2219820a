#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/compress/compressed_averager.hpp"
#include "core/compress/compression_options.hpp"
#include "core/train/train_options.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::parallel {

// One value of the parallelism axis, as the matrix resolved it, and the compression of what it exchanges.
struct StrategyOptions {
  std::string method = "single";                     // a row of strategy_registry()
  nlohmann::json params = nlohmann::json::object();   // every parameter of the method (matrix/axis_methods.cpp)
  compress::CompressionOptions compression;
};

// The training hooks of a strategy from its method's parameters; `averager` is null unless the strategy takes
// compression and the run compresses.
using MakeStrategy = std::unique_ptr<train::TrainingHooks> (*)(const nlohmann::json& params,
                                                             std::unique_ptr<compress::CompressedAverager> averager,
                                                             const train::TrainOptions& options,
                                                             comm::Communicator& comm);

// One method of the parallelism axis and how it is built; its parameters, defaults and ranges are its spec in
// matrix/axis_methods.cpp.
struct StrategyMethod {
  std::string name;
  bool takes_compression = false;  // what it exchanges goes through the compression axis
  MakeStrategy make = nullptr;     // null: it drives its own training (pipeline: runners/train/pipeline_training)
};

// Every parallelism method, in the order of matrix's spec.
const std::vector<StrategyMethod>& strategy_registry();

// The row of `method`; throws std::logic_error when it has none (the matrix only resolves known methods).
const StrategyMethod& strategy_method(std::string_view method);

// The training hooks of `strategy` on the ranks of `comm`. Throws std::invalid_argument when it cannot run on
// `comm.size()` ranks, std::logic_error for a method without hooks or a compression it does not take (the matrix
// refuses both).
std::unique_ptr<train::TrainingHooks> make_strategy(const StrategyOptions& strategy, const train::TrainOptions& options,
                                                    comm::Communicator& comm);

}  // namespace iddl::parallel
