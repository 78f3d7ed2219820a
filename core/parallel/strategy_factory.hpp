#pragma once
#include <nlohmann/json.hpp>

#include <memory>

#include "core/comm/communicator.hpp"
#include "core/train/train_options.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::parallel {

// The strategy of a resolved `parallelism` value ({"method": NAME, every parameter}) exchanging
// through the resolved `compression` value; throws std::invalid_argument for an unknown method, one
// that cannot run on `comm.size()` ranks, or a compression the strategy cannot apply.
std::unique_ptr<train::TrainingHooks> make_strategy(const nlohmann::json& parallelism,
                                                    const nlohmann::json& compression,
                                                    const train::TrainOptions& options, comm::Communicator& comm);

}  // namespace iddl::parallel
