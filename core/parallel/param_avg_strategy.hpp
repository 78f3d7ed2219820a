#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/compress/compressed_averager.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::parallel {

// Ranks that train their own replica on their own shard; each epoch is evaluated with the replicas'
// average in place (bookkeeping traffic), and every rank then goes on with its own replica.
class LocalReplicasStrategy : public train::TrainingHooks {
 public:
  explicit LocalReplicasStrategy(comm::Communicator& comm) : comm_(comm) {}

  // Copies rank 0's weights and buffers to every rank.
  void on_start(torch::nn::Module& model) override;
  void after_backward(torch::nn::Module&, int64_t, int64_t) override {}
  void before_evaluation(torch::nn::Module& model) override;
  void after_evaluation(torch::nn::Module& model) override;

 protected:
  // The average over ranks of every rank's flattened float state `flat` (counted as `traffic`).
  virtual torch::Tensor average_of(const torch::Tensor& flat, comm::Traffic traffic);
  // Replaces every rank's state by average_of() it, counted as training traffic.
  void average_now(torch::nn::Module& model);
  // Called with the state every rank holds after on_start and after each average_now().
  virtual void on_averaged(const torch::Tensor&) {}

  comm::Communicator& comm_;

 private:
  torch::Tensor own_state_;  // this rank's replica while the average is evaluated
};

// When parameter averaging happens: every `frequency` steps or epochs; frequency 0 (unit epochs): once,
// after the run's last epoch (seed 001's AVG_FREQ = 0).
struct AveragingPeriod {
  int64_t frequency = 1;
  std::string unit = "steps";  // steps | epochs
  int64_t run_epochs = 0;      // the run's epochs: with frequency 0, the epoch after which it averages
};

// `parallelism = "param_avg"` (local SGD, seed 001): weights and float buffers averaged every period.
// With a compressor (docs/compression.md) each rank sends its change since the last average, and
// every rank adds the compressed average of the changes to that average.
class ParamAvgStrategy : public LocalReplicasStrategy {
 public:
  // `averager` null: dense allreduce of the state.
  ParamAvgStrategy(comm::Communicator& comm, AveragingPeriod period,
                   std::unique_ptr<compress::CompressedAverager> averager = nullptr);

  void on_start(torch::nn::Module& model) override;
  void after_step(torch::nn::Module& model) override;
  void on_epoch_end(torch::nn::Module& model) override;
  // {"compression_ratio": wire bytes / dense bytes} with a compressor.
  std::map<std::string, double> run_metrics() const override;
  // Steps and epochs counted, the last average and the compressor's state.
  std::optional<train::StrategyState> checkpoint_state() const override;
  void restore_state(const train::StrategyState& state) override;

 protected:
  torch::Tensor average_of(const torch::Tensor& flat, comm::Traffic traffic) override;
  void on_averaged(const torch::Tensor& flat) override;

 private:
  // Averages now and, with a compressor, zeroes the masked weights it may have filled in.
  void average_model(torch::nn::Module& model);

  AveragingPeriod period_;
  std::unique_ptr<compress::CompressedAverager> averager_;
  std::vector<std::vector<int64_t>> state_shapes_;  // the float state tensors' shapes, in flat order
  torch::Tensor last_average_;        // with a compressor: the state after the previous average
  int64_t steps_ = 0;
  int64_t epochs_ = 0;
};

// How w_param_avg combines the replicas at an average (docs/strategies.md, "w_param_avg").
enum class Weighting {
  Normalized,  // every rank: sum_i gamma_i theta_i / sum_i gamma_i (the same weights on every rank)
  Seed,        // rank i: gamma_i / sum_j gamma_j * sum_j theta_j, gamma = 1 at the first average (seed 001)
};

// `parallelism = "w_param_avg"` (seed 001's weighted averaging): gamma_i = exp(-lambda |theta_old - theta_i| /
// (|theta_old| + |theta_i|)), theta_old being the weights this rank held after the previous average and |.| the L2
// norm over the parameters, combined as `weighting` says. With Seed weighting the ranks differ after an average;
// every epoch is then evaluated with the plain mean of the replicas, the model seed 001's final reduction evaluates.
class WeightedParamAvgStrategy : public ParamAvgStrategy {
 public:
  WeightedParamAvgStrategy(comm::Communicator& comm, AveragingPeriod period, double lambda,
                           Weighting weighting = Weighting::Normalized);

  void on_start(torch::nn::Module& model) override;
  // ParamAvgStrategy's, the previous average and the averages counted.
  std::optional<train::StrategyState> checkpoint_state() const override;
  void restore_state(const train::StrategyState& state) override;

 protected:
  torch::Tensor average_of(const torch::Tensor& flat, comm::Traffic traffic) override;
  void on_averaged(const torch::Tensor& flat) override { previous_average_ = flat.clone(); }

 private:
  // This rank's gamma for its flat state `flat`.
  double gamma_of(const torch::Tensor& flat) const;
  // Seed weighting: the first training average and every evaluation's are the plain mean.
  torch::Tensor seed_average_of(const torch::Tensor& flat, comm::Traffic traffic);

  double lambda_;
  Weighting weighting_;
  int64_t parameter_count_ = 0;  // the leading entries of the flat state that are parameters
  int64_t training_averages_ = 0;
  torch::Tensor previous_average_;
};

}  // namespace iddl::parallel
