#pragma once
#include <memory>
#include <string>

#include "core/comm/communicator.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::runners {

// The strategy named by the `parallelism` setting; throws std::invalid_argument for an unknown
// name or a strategy that cannot run on `comm.size()` ranks.
std::unique_ptr<train::TrainingHooks> make_strategy(const std::string& parallelism, comm::Communicator& comm);

}  // namespace iddl::runners
