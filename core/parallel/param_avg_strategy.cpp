#include "core/parallel/param_avg_strategy.hpp"

#include <cmath>
#include <stdexcept>

#include "core/models/layers.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/parallel/model_state.hpp"
#include "results/fields.hpp"

namespace iddl::parallel {

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

ParamAvgStrategy::ParamAvgStrategy(comm::Communicator& comm, AveragingPeriod period,
                                   std::unique_ptr<compress::CompressedAverager> averager)
    : LocalReplicasStrategy(comm), period_(std::move(period)), averager_(std::move(averager)) {
  if (period_.unit != "steps" && period_.unit != "epochs")
    throw std::invalid_argument("avg_unit must be \"steps\" or \"epochs\", got \"" + period_.unit + "\"");
  if (period_.frequency < 0) throw std::invalid_argument("avg_freq must be at least 0");
  if (period_.frequency == 0 && (period_.unit != "epochs" || period_.run_epochs < 1))
    throw std::invalid_argument("avg_freq = 0 (one average after the last epoch) needs avg_unit = \"epochs\" and "
                                "the run's epoch count");
}

void ParamAvgStrategy::on_start(torch::nn::Module& model) {
  state_shapes_.clear();
  for (const auto& t : float_state(model)) state_shapes_.push_back(t.sizes().vec());
  LocalReplicasStrategy::on_start(model);
}

void ParamAvgStrategy::after_step(torch::nn::Module& model) {
  if (period_.unit == "steps" && ++steps_ % period_.frequency == 0) average_model(model);
}

void ParamAvgStrategy::on_epoch_end(torch::nn::Module& model) {
  if (period_.unit != "epochs") return;
  ++epochs_;
  if (period_.frequency == 0 ? epochs_ == period_.run_epochs : epochs_ % period_.frequency == 0) average_model(model);
}

void ParamAvgStrategy::average_model(torch::nn::Module& model) {
  average_now(model);
  if (averager_) models::zero_masked_weights(model);
}

torch::Tensor ParamAvgStrategy::average_of(const torch::Tensor& flat, comm::Traffic traffic) {
  if (!averager_ || traffic != comm::Traffic::Training) return LocalReplicasStrategy::average_of(flat, traffic);
  torch::Tensor change = flat - last_average_;
  std::vector<torch::Tensor> tensors;  // views of `change` shaped as the state (PowerSGD factors matrices)
  int64_t offset = 0;
  for (const auto& shape : state_shapes_) {
    const int64_t n = c10::multiply_integers(shape);
    tensors.push_back(change.narrow(0, offset, n).view(shape));
    offset += n;
  }
  averager_->average(tensors, 1.0 / static_cast<double>(comm_.size()));
  return last_average_ + change;
}

void ParamAvgStrategy::on_averaged(const torch::Tensor& flat) {
  if (averager_) last_average_ = flat.clone();
}

std::map<std::string, double> ParamAvgStrategy::run_metrics() const {
  if (!averager_) return {};
  return {{results::field::compression_ratio, averager_->compression_ratio()}};
}

std::optional<train::StrategyState> ParamAvgStrategy::checkpoint_state() const {
  train::StrategyState state;
  if (averager_) {
    for (const auto& [name, tensor] : averager_->state()) state["averager_" + name] = tensor;
    state["last_average"] = last_average_;
  }
  state["counts"] = torch::tensor({steps_, epochs_}, torch::kInt64);
  return state;
}

void ParamAvgStrategy::restore_state(const train::StrategyState& state) {
  const torch::Tensor counts = state.at("counts");
  steps_ = counts[0].item<int64_t>();
  epochs_ = counts[1].item<int64_t>();
  if (!averager_) return;
  train::StrategyState compressor;
  for (const auto& [name, tensor] : state)
    if (name.rfind("averager_", 0) == 0) compressor[name.substr(9)] = tensor;
  averager_->restore(compressor);
  last_average_ = state.at("last_average").clone();
}

WeightedParamAvgStrategy::WeightedParamAvgStrategy(comm::Communicator& comm, AveragingPeriod period, double lambda,
                                                   Weighting weighting)
    : ParamAvgStrategy(comm, std::move(period)), lambda_(lambda), weighting_(weighting) {
  if (!(lambda_ >= 0.0)) throw std::invalid_argument("lambda must be >= 0");
}

void WeightedParamAvgStrategy::on_start(torch::nn::Module& model) {
  parameter_count_ = 0;
  for (const auto& p : model.parameters()) parameter_count_ += p.numel();
  LocalReplicasStrategy::on_start(model);
}

std::optional<train::StrategyState> WeightedParamAvgStrategy::checkpoint_state() const {
  std::optional<train::StrategyState> state = ParamAvgStrategy::checkpoint_state();
  (*state)["previous_average"] = previous_average_;
  (*state)["training_averages"] = torch::tensor({training_averages_}, torch::kInt64);
  return state;
}

void WeightedParamAvgStrategy::restore_state(const train::StrategyState& state) {
  ParamAvgStrategy::restore_state(state);
  previous_average_ = state.at("previous_average").clone();
  training_averages_ = state.at("training_averages")[0].item<int64_t>();
}

double WeightedParamAvgStrategy::gamma_of(const torch::Tensor& flat) const {
  const torch::Tensor theta = flat.narrow(0, 0, parameter_count_).to(torch::kFloat64);
  const torch::Tensor old = previous_average_.narrow(0, 0, parameter_count_).to(torch::kFloat64);
  const double distance = (old - theta).norm().item<double>();
  const double scale = old.norm().item<double>() + theta.norm().item<double>();
  return std::exp(scale > 0.0 ? -lambda_ * distance / scale : 0.0);
}

torch::Tensor WeightedParamAvgStrategy::average_of(const torch::Tensor& flat, comm::Traffic traffic) {
  if (weighting_ == Weighting::Seed) return seed_average_of(flat, traffic);
  const double gamma = gamma_of(flat);
  torch::Tensor weighted = torch::cat({flat * gamma, torch::full({1}, gamma, flat.options())});
  comm_.allreduce_sum(weighted, traffic);
  const int64_t n = flat.numel();
  return weighted.narrow(0, 0, n).div(weighted.narrow(0, n, 1)).contiguous();
}

// Seed 001 (exps/w_param_avg.cpp, main): gamma_i = 1 and gamma_sum = pcount at the first average, then one
// allreduce of the gammas and one of the weights, each rank keeping sum_j theta_j * gamma_i / gamma_sum. Here the
// weights and gamma travel in one allreduce; float buffers (the seed's MLP has none) take the plain mean.
torch::Tensor WeightedParamAvgStrategy::seed_average_of(const torch::Tensor& flat, comm::Traffic traffic) {
  if (traffic != comm::Traffic::Training || training_averages_++ == 0)
    return LocalReplicasStrategy::average_of(flat, traffic);
  const double gamma = gamma_of(flat);
  torch::Tensor summed = torch::cat({flat, torch::full({1}, gamma, flat.options())});
  comm_.allreduce_sum(summed, traffic);
  const int64_t n = flat.numel();
  const double ranks = static_cast<double>(comm_.size());
  torch::Tensor result = summed.narrow(0, 0, n).div(ranks);
  result.narrow(0, 0, parameter_count_).mul_(ranks * gamma / summed[n].item<double>());
  return result;
}

}  // namespace iddl::parallel
