#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::parallel {

// The residuals of a consensus round: primal sqrt(mean_i ||x_i - z||^2), dual rho ||z - z_prev||, both over the
// parameters.
struct AdmmResiduals {
  double primal = 0.0;
  double dual = 0.0;
};

// `parallelism = "admm"` (seed 002's ADMM.SGD): consensus ADMM in scaled form. Each rank keeps its replica x_i and
// its dual u_i; between two rounds it takes `local_steps` optimizer steps on f_i(x) + rho/2 ||x - z + u_i||^2 (the
// penalty's gradient added after backward); a round sets z = mean_i(x_i + u_i) by one allreduce, then
// u_i += x_i - z. Float buffers are averaged at each round. Every epoch is evaluated with z.
class AdmmStrategy : public train::TrainingHooks {
 public:
  AdmmStrategy(comm::Communicator& comm, double rho, int64_t local_steps);

  // Copies rank 0's weights and buffers to every rank: x_i = z = the start weights, u_i = 0.
  void on_start(torch::nn::Module& model) override;
  // Adds rho (x - z + u_i) to the parameters' gradients.
  void after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) override;
  // A consensus round after every `local_steps`-th step.
  void after_step(torch::nn::Module& model) override;
  // Records the epoch's residuals (those of its last round; zero before the first).
  void on_epoch_end(torch::nn::Module& model) override;
  void before_evaluation(torch::nn::Module& model) override;
  void after_evaluation(torch::nn::Module& model) override;
  // "admm_primal_residual.E" and "admm_dual_residual.E" for every epoch E so far (1-based).
  std::map<std::string, double> named_metrics() const override;
  // The consensus z, this rank's dual u, the steps, the last round's residuals and every epoch's.
  std::optional<train::StrategyState> checkpoint_state() const override;
  void restore_state(const train::StrategyState& state) override;

  // The residuals recorded at the last epoch end (those of the last round before it), the same on every rank.
  const AdmmResiduals& residuals() const { return residuals_; }
  // The consensus z: parameters then float buffers, flattened.
  const torch::Tensor& consensus() const { return z_; }

 private:
  // z = mean_i(x_i + u_i) over the ranks, u_i += x_i - z, the residuals; every rank takes z's buffers.
  void consensus_round(torch::nn::Module& model);

  comm::Communicator& comm_;
  double rho_;
  int64_t local_steps_;
  int64_t parameter_count_ = 0;     // the leading entries of the flat state that are parameters
  torch::Tensor z_;                 // the consensus, the flat state's layout
  torch::Tensor u_;                 // this rank's scaled dual, over the parameters
  std::vector<torch::Tensor> z_views_, u_views_;  // z_ and u_ shaped as each parameter
  double primal_squared_ = 0.0;     // ||x_i - z||^2 of this rank at the last round
  int64_t steps_ = 0;
  AdmmResiduals residuals_;
  std::vector<AdmmResiduals> epochs_;
  torch::Tensor own_state_;         // this rank's replica while z is evaluated
};

}  // namespace iddl::parallel
