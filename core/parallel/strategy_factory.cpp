#include "core/parallel/strategy_factory.hpp"

#include <stdexcept>

#include "core/parallel/downpour_strategy.hpp"
#include "core/parallel/gossip_strategy.hpp"
#include "core/parallel/param_avg_strategy.hpp"
#include "core/parallel/single_strategy.hpp"
#include "core/parallel/sync_strategy.hpp"

namespace iddl::parallel {
namespace {

AveragingPeriod averaging_period(const nlohmann::json& parallelism) {
  return {parallelism.at("avg_freq").get<int64_t>(), parallelism.at("avg_unit").get<std::string>()};
}

}  // namespace

std::unique_ptr<train::TrainingHooks> make_strategy(const nlohmann::json& parallelism,
                                                    const nlohmann::json& compression,
                                                    const train::TrainOptions& options, comm::Communicator& comm) {
  const std::string method = parallelism.at("method").get<std::string>();
  const std::string compressor = compression.at("method").get<std::string>();
  if (compressor != "none" && method != "sync" && method != "param_avg")
    throw std::invalid_argument("compression '" + compressor + "' applies to what sync and param_avg exchange, not to " +
                                "parallelism '" + method + "'");
  auto averager = compress::make_averager(compression, comm, options.seed);
  if (method == "single") {
    if (comm.size() != 1)
      throw std::invalid_argument("parallelism 'single' runs on 1 rank, but the job has " +
                                  std::to_string(comm.size()));
    return std::make_unique<SingleStrategy>();
  }
  if (method == "sync") return std::make_unique<SyncStrategy>(comm, std::move(averager));
  if (method == "param_avg")
    return std::make_unique<ParamAvgStrategy>(comm, averaging_period(parallelism), std::move(averager));
  if (method == "w_param_avg")
    return std::make_unique<WeightedParamAvgStrategy>(comm, averaging_period(parallelism),
                                                      parallelism.at("lambda").get<double>());
  if (method == "gossip")
    return std::make_unique<GossipStrategy>(comm, parallelism.at("period").get<int64_t>(),
                                            parallelism.at("share_fraction").get<double>());
  if (method == "downpour")
    return std::make_unique<DownpourStrategy>(comm, parallelism.at("n_push").get<int64_t>(),
                                              parallelism.at("n_fetch").get<int64_t>(), options.lr);
  throw std::invalid_argument("unknown parallelism '" + method + "'");
}

}  // namespace iddl::parallel
