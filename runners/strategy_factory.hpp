#pragma once
#include <nlohmann/json.hpp>

#include <memory>

#include "core/comm/communicator.hpp"
#include "core/train/train_options.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::runners {

// The strategy of a resolved `parallelism` value ({"method": NAME, every parameter}); throws
// std::invalid_argument for an unknown method or one that cannot run on `comm.size()` ranks.
std::unique_ptr<train::TrainingHooks> make_strategy(const nlohmann::json& parallelism,
                                                    const train::TrainOptions& options, comm::Communicator& comm);

}  // namespace iddl::runners
