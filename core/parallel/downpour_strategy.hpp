#pragma once
#include "core/comm/communicator.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::parallel {

// `parallelism = "downpour"` (asynchronous SGD, seed 002): rank 0 is a parameter server and trains
// nothing; workers 1..n-1 split the data, step their own replica, push their gradients summed over
// `n_push` steps and fetch the server's weights every `n_fetch` steps, never waiting for each other.
// The server applies each push as it arrives (plain SGD with `lr`) and answers fetches; at every epoch
// end all ranks take the server's weights. Staleness: server updates between a worker's fetch and its push.
class DownpourStrategy : public train::TrainingHooks {
 public:
  // Throws std::invalid_argument on fewer than 2 ranks.
  DownpourStrategy(comm::Communicator& comm, int64_t n_push, int64_t n_fetch, double lr);

  // Copies the server's weights and buffers to every worker.
  void on_start(torch::nn::Module& model) override;
  std::optional<train::Shard> shard(int rank, int world) const override;
  void after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) override;
  void after_step(torch::nn::Module& model) override;
  // The server: applies pushes and answers fetches until every worker has ended the epoch.
  void serve_epoch(torch::nn::Module& model) override;
  // Workers push what is left and say done; then every rank takes the server's weights.
  void on_epoch_end(torch::nn::Module& model) override;
  // {"staleness_mean": mean staleness of the pushes the server applied} on the server.
  std::map<std::string, double> run_metrics() const override;
  // The server's weights, version and staleness sum; a worker's steps, unpushed gradients and fetched version.
  std::optional<train::StrategyState> checkpoint_state() const override;
  void restore_state(const train::StrategyState& state) override;

 private:
  bool is_server() const { return comm_.rank() == 0; }
  void push();
  void fetch(torch::nn::Module& model);
  // Server: takes the pushed gradients of `worker` into its weights.
  void apply_push(int worker);
  // Server: sends its weights and version to `worker`.
  void answer_fetch(int worker);
  // The server's weights followed by its version (number of pushes applied) as one float buffer.
  torch::Tensor weights_with_version() const;
  // Worker: copies a buffer of weights_with_version() into the model.
  void take_weights(torch::nn::Module& model, const torch::Tensor& buffer);

  comm::Communicator& comm_;
  int64_t n_push_;
  int64_t n_fetch_;
  double lr_;
  int64_t parameter_count_ = 0;  // entries of the flattened parameters
  torch::TensorOptions weight_options_;
  int64_t steps_ = 0;             // worker: steps taken
  int64_t pending_steps_ = 0;     // worker: steps summed into gradient_sum_ since the last push
  torch::Tensor gradient_sum_;    // worker: gradients not pushed yet
  double fetched_version_ = 0.0;  // worker: the server version of its last fetch
  torch::Tensor weights_;         // server: the weights pushes are applied to
  int64_t version_ = 0;           // server: pushes applied
  double staleness_sum_ = 0.0;    // server: summed over the pushes applied
};

}  // namespace iddl::parallel
