#include "runners/param_avg_strategy.hpp"

#include <cmath>
#include <stdexcept>

#include "core/train/flat_tensors.hpp"
#include "runners/model_state.hpp"

namespace iddl::runners {

void LocalReplicasStrategy::on_start(torch::nn::Module& model) {
  broadcast_from_rank0(model, comm_);
  on_averaged(train::flatten_values(float_state(model)));
}

torch::Tensor LocalReplicasStrategy::average_of(const torch::Tensor& flat, comm::Traffic traffic) {
  torch::Tensor sum = flat.clone();
  comm_.allreduce_sum(sum, traffic);
  return sum.div_(static_cast<double>(comm_.size()));
}

void LocalReplicasStrategy::average_now(torch::nn::Module& model) {
  const std::vector<torch::Tensor> state = float_state(model);
  const torch::Tensor average = average_of(train::flatten_values(state), comm::Traffic::Training);
  train::unflatten_into_values(average, state);
  on_averaged(average);
}

void LocalReplicasStrategy::before_evaluation(torch::nn::Module& model) {
  const std::vector<torch::Tensor> state = float_state(model);
  own_state_ = train::flatten_values(state);
  train::unflatten_into_values(average_of(own_state_, comm::Traffic::Bookkeeping), state);
}

void LocalReplicasStrategy::after_evaluation(torch::nn::Module& model) {
  train::unflatten_into_values(own_state_, float_state(model));
}

ParamAvgStrategy::ParamAvgStrategy(comm::Communicator& comm, AveragingPeriod period)
    : LocalReplicasStrategy(comm), period_(std::move(period)) {
  if (period_.frequency < 1) throw std::invalid_argument("avg_freq must be at least 1");
  if (period_.unit != "steps" && period_.unit != "epochs")
    throw std::invalid_argument("avg_unit must be \"steps\" or \"epochs\", got \"" + period_.unit + "\"");
}

void ParamAvgStrategy::after_step(torch::nn::Module& model) {
  if (period_.unit == "steps" && ++steps_ % period_.frequency == 0) average_now(model);
}

void ParamAvgStrategy::on_epoch_end(torch::nn::Module& model) {
  if (period_.unit == "epochs" && ++epochs_ % period_.frequency == 0) average_now(model);
}

WeightedParamAvgStrategy::WeightedParamAvgStrategy(comm::Communicator& comm, AveragingPeriod period, double lambda)
    : ParamAvgStrategy(comm, std::move(period)), lambda_(lambda) {
  if (!(lambda_ >= 0.0)) throw std::invalid_argument("lambda must be >= 0");
}

void WeightedParamAvgStrategy::on_start(torch::nn::Module& model) {
  parameter_count_ = 0;
  for (const auto& p : model.parameters()) parameter_count_ += p.numel();
  LocalReplicasStrategy::on_start(model);
}

torch::Tensor WeightedParamAvgStrategy::average_of(const torch::Tensor& flat, comm::Traffic traffic) {
  const torch::Tensor theta = flat.narrow(0, 0, parameter_count_).to(torch::kFloat64);
  const torch::Tensor old = previous_average_.narrow(0, 0, parameter_count_).to(torch::kFloat64);
  const double distance = (old - theta).norm().item<double>();
  const double scale = old.norm().item<double>() + theta.norm().item<double>();
  const double gamma = std::exp(scale > 0.0 ? -lambda_ * distance / scale : 0.0);
  torch::Tensor weighted = torch::cat({flat * gamma, torch::full({1}, gamma, flat.options())});
  comm_.allreduce_sum(weighted, traffic);
  const int64_t n = flat.numel();
  return weighted.narrow(0, 0, n).div(weighted.narrow(0, n, 1)).contiguous();
}

}  // namespace iddl::runners
