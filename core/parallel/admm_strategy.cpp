#include "core/parallel/admm_strategy.hpp"

#include <cmath>
#include <stdexcept>

#include "core/parallel/model_state.hpp"
#include "core/train/flat_tensors.hpp"

namespace iddl::parallel {

AdmmStrategy::AdmmStrategy(comm::Communicator& comm, double rho, int64_t local_steps)
    : comm_(comm), rho_(rho), local_steps_(local_steps) {
  if (!(rho_ > 0.0)) throw std::invalid_argument("admm: rho must be > 0");
  if (local_steps_ < 1) throw std::invalid_argument("admm: local_steps must be at least 1");
}

void AdmmStrategy::on_start(torch::nn::Module& model) {
  broadcast_from_rank0(model, comm_);
  z_ = train::flatten_values(float_state(model));
  parameter_count_ = 0;
  z_views_.clear();
  std::vector<torch::Tensor> parameters = model.parameters();
  for (const auto& p : parameters) {
    z_views_.push_back(z_.narrow(0, parameter_count_, p.numel()).view(p.sizes()));
    parameter_count_ += p.numel();
  }
  u_ = torch::zeros({parameter_count_}, z_.options());
  u_views_.clear();
  int64_t offset = 0;
  for (const auto& p : parameters) {
    u_views_.push_back(u_.narrow(0, offset, p.numel()).view(p.sizes()));
    offset += p.numel();
  }
}

void AdmmStrategy::after_backward(torch::nn::Module& model, int64_t, int64_t) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parameters = model.parameters();
  for (size_t k = 0; k < parameters.size(); ++k) {
    torch::Tensor grad = parameters[k].mutable_grad();
    if (grad.defined()) grad.add_(parameters[k] - z_views_[k] + u_views_[k], rho_);
  }
}

void AdmmStrategy::after_step(torch::nn::Module& model) {
  if (++steps_ % local_steps_ == 0) consensus_round(model);
}

void AdmmStrategy::consensus_round(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> state = float_state(model);
  const torch::Tensor x = train::flatten_values(state);
  torch::Tensor z = x.clone();
  z.narrow(0, 0, parameter_count_).add_(u_);
  comm_.allreduce_sum(z, comm::Traffic::Training);
  z.div_(static_cast<double>(comm_.size()));
  const torch::Tensor x_params = x.narrow(0, 0, parameter_count_), z_params = z.narrow(0, 0, parameter_count_);
  residuals_.dual = rho_ * (z_params - z_.narrow(0, 0, parameter_count_)).to(torch::kFloat64).norm().item<double>();
  const double primal = (x_params - z_params).to(torch::kFloat64).norm().item<double>();
  primal_squared_ = primal * primal;
  u_.add_(x_params - z_params);
  z_.copy_(z);
  // Buffers are not optimized: every rank takes their mean, as parameter averaging does.
  const int64_t buffers = x.numel() - parameter_count_;
  torch::Tensor own = x.clone();
  own.narrow(0, parameter_count_, buffers).copy_(z.narrow(0, parameter_count_, buffers));
  train::unflatten_into_values(own, state);
}

void AdmmStrategy::on_epoch_end(torch::nn::Module&) {
  torch::Tensor squared = torch::full({1}, primal_squared_, torch::kFloat64);
  comm_.allreduce_sum(squared, comm::Traffic::Bookkeeping);
  residuals_.primal = std::sqrt(squared.item<double>() / static_cast<double>(comm_.size()));
  epochs_.push_back(residuals_);
}

void AdmmStrategy::before_evaluation(torch::nn::Module& model) {
  const std::vector<torch::Tensor> state = float_state(model);
  own_state_ = train::flatten_values(state);
  train::unflatten_into_values(z_, state);
}

void AdmmStrategy::after_evaluation(torch::nn::Module& model) {
  train::unflatten_into_values(own_state_, float_state(model));
}

std::optional<train::StrategyState> AdmmStrategy::checkpoint_state() const {
  torch::Tensor epochs = torch::zeros({static_cast<int64_t>(epochs_.size()), 2}, torch::kFloat64);
  for (size_t e = 0; e < epochs_.size(); ++e) {
    epochs[static_cast<int64_t>(e)][0] = epochs_[e].primal;
    epochs[static_cast<int64_t>(e)][1] = epochs_[e].dual;
  }
  return train::StrategyState{
      {"z", z_},
      {"u", u_},
      {"steps", torch::tensor({steps_}, torch::kInt64)},
      {"residuals", torch::tensor({primal_squared_, residuals_.primal, residuals_.dual}, torch::kFloat64)},
      {"epochs", epochs}};
}

void AdmmStrategy::restore_state(const train::StrategyState& state) {
  z_.copy_(state.at("z"));  // in place: z_views_ and u_views_ look into them
  u_.copy_(state.at("u"));
  steps_ = state.at("steps")[0].item<int64_t>();
  const torch::Tensor residuals = state.at("residuals");
  primal_squared_ = residuals[0].item<double>();
  residuals_ = {residuals[1].item<double>(), residuals[2].item<double>()};
  const torch::Tensor epochs = state.at("epochs");
  epochs_.clear();
  for (int64_t e = 0; e < epochs.size(0); ++e) epochs_.push_back({epochs[e][0].item<double>(), epochs[e][1].item<double>()});
}

std::map<std::string, double> AdmmStrategy::named_metrics() const {
  std::map<std::string, double> metrics;
  for (size_t e = 0; e < epochs_.size(); ++e) {
    metrics["admm_primal_residual." + std::to_string(e + 1)] = epochs_[e].primal;
    metrics["admm_dual_residual." + std::to_string(e + 1)] = epochs_[e].dual;
  }
  return metrics;
}

}  // namespace iddl::parallel
