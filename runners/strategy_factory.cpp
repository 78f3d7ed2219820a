#include "runners/strategy_factory.hpp"

#include <stdexcept>

#include "runners/single_strategy.hpp"
#include "runners/sync_strategy.hpp"

namespace iddl::runners {

std::unique_ptr<train::TrainingHooks> make_strategy(const std::string& parallelism, comm::Communicator& comm) {
  if (parallelism == "single") {
    if (comm.size() != 1)
      throw std::invalid_argument("parallelism 'single' runs on 1 rank, but the job has " +
                                  std::to_string(comm.size()));
    return std::make_unique<SingleStrategy>();
  }
  if (parallelism == "sync") return std::make_unique<SyncStrategy>(comm);
  throw std::invalid_argument("unknown parallelism '" + parallelism + "'");
}

}  // namespace iddl::runners
