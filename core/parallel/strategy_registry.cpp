#include "core/parallel/strategy_registry.hpp"

#include <stdexcept>

#include "core/parallel/admm_strategy.hpp"
#include "core/parallel/downpour_strategy.hpp"
#include "core/parallel/gossip_strategy.hpp"
#include "core/parallel/param_avg_strategy.hpp"
#include "core/parallel/single_strategy.hpp"
#include "core/parallel/sync_strategy.hpp"
#include "core/registry_row.hpp"

namespace iddl::parallel {
namespace {

using nlohmann::json;
using Hooks = std::unique_ptr<train::TrainingHooks>;
using Averager = std::unique_ptr<compress::CompressedAverager>;

AveragingPeriod averaging_period(const json& p, const train::TrainOptions& options) {
  return {p.at("avg_freq").get<int64_t>(), p.at("avg_unit").get<std::string>(), options.epochs};
}

Hooks single(const json&, Averager, const train::TrainOptions&, comm::Communicator& comm) {
  if (comm.size() != 1)
    throw std::invalid_argument("parallelism 'single' runs on 1 rank, but the job has " + std::to_string(comm.size()));
  return std::make_unique<SingleStrategy>();
}

Hooks sync(const json&, Averager averager, const train::TrainOptions&, comm::Communicator& comm) {
  return std::make_unique<SyncStrategy>(comm, std::move(averager));
}

Hooks param_avg(const json& p, Averager averager, const train::TrainOptions& options, comm::Communicator& comm) {
  return std::make_unique<ParamAvgStrategy>(comm, averaging_period(p, options), std::move(averager));
}

Hooks w_param_avg(const json& p, Averager, const train::TrainOptions& options, comm::Communicator& comm) {
  const Weighting weighting = p.at("weighting") == "seed" ? Weighting::Seed : Weighting::Normalized;
  return std::make_unique<WeightedParamAvgStrategy>(comm, averaging_period(p, options), p.at("lambda").get<double>(),
                                                    weighting);
}

Hooks gossip(const json& p, Averager, const train::TrainOptions&, comm::Communicator& comm) {
  const GossipAdaptation adaptation{p.at("share") == "bandwidth", p.at("comm_budget").get<double>(),
                                    p.at("weighting") == "throughput"};
  return std::make_unique<GossipStrategy>(comm, p.at("period").get<int64_t>(), p.at("share_fraction").get<double>(),
                                          adaptation);
}

Hooks downpour(const json& p, Averager, const train::TrainOptions& options, comm::Communicator& comm) {
  return std::make_unique<DownpourStrategy>(comm, p.at("n_push").get<int64_t>(), p.at("n_fetch").get<int64_t>(),
                                            options.lr);
}

Hooks admm(const json& p, Averager, const train::TrainOptions&, comm::Communicator& comm) {
  return std::make_unique<AdmmStrategy>(comm, p.at("rho").get<double>(), p.at("local_steps").get<int64_t>());
}

}  // namespace

const std::vector<StrategyMethod>& strategy_registry() {
  static const std::vector<StrategyMethod> rows = {
      {"single", false, single},
      {"sync", true, sync},
      {"param_avg", true, param_avg},
      {"w_param_avg", false, w_param_avg},
      {"gossip", false, gossip},
      {"downpour", false, downpour},
      {"admm", false, admm},
      {"pipeline", false, nullptr},
  };
  return rows;
}

const StrategyMethod& strategy_method(std::string_view method) {
  return registry_row(strategy_registry(), method, "the strategy registry");
}

std::unique_ptr<train::TrainingHooks> make_strategy(const StrategyOptions& strategy, const train::TrainOptions& options,
                                                    comm::Communicator& comm) {
  const StrategyMethod& method = strategy_method(strategy.method);
  if (method.make == nullptr)
    throw std::logic_error("parallelism '" + method.name + "' drives its own training and has no training hooks");
  auto averager = compress::make_averager(strategy.compression, comm, options.seed);
  if (averager && !method.takes_compression)
    throw std::logic_error("compression '" + strategy.compression.method + "' given to parallelism '" + method.name +
                           "', which takes none (matrix refuses the combination)");
  return method.make(strategy.params, std::move(averager), options, comm);
}

}  // namespace iddl::parallel
