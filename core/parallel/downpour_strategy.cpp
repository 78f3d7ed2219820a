#include "core/parallel/downpour_strategy.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/train/flat_tensors.hpp"
#include "core/parallel/model_state.hpp"
#include "results/fields.hpp"

namespace iddl::parallel {
namespace {

// Message tags between workers and the server.
enum Tag : int { kPush = 1, kFetch = 2, kWeights = 3, kDone = 4 };

constexpr auto kIdlePoll = std::chrono::microseconds(50);

}  // namespace

DownpourStrategy::DownpourStrategy(comm::Communicator& comm, int64_t n_push, int64_t n_fetch, double lr)
    : comm_(comm), n_push_(n_push), n_fetch_(n_fetch), lr_(lr) {
  if (comm_.size() < 2)
    throw std::invalid_argument("parallelism 'downpour' needs ranks >= 2 (a server and a worker), but the job has " +
                                std::to_string(comm_.size()));
  if (n_push_ < 1 || n_fetch_ < 1) throw std::invalid_argument("downpour n_push and n_fetch must be at least 1");
}

void DownpourStrategy::on_start(torch::nn::Module& model) {
  broadcast_from_rank0(model, comm_);
  const torch::Tensor weights = train::flatten_values(model.parameters());
  parameter_count_ = weights.numel();
  weight_options_ = weights.options();
  if (is_server()) weights_ = weights;
}

std::optional<train::Shard> DownpourStrategy::shard(int rank, int world) const {
  if (rank == 0) return std::nullopt;
  return train::Shard{rank - 1, world - 1};
}

void DownpourStrategy::after_backward(torch::nn::Module& model, int64_t, int64_t) {
  const torch::Tensor gradients = train::flatten_gradients(model.parameters());
  gradient_sum_ = gradient_sum_.defined() ? gradient_sum_.add_(gradients) : gradients.clone();
  ++pending_steps_;
  if (pending_steps_ == n_push_) push();
}

void DownpourStrategy::after_step(torch::nn::Module& model) {
  if (++steps_ % n_fetch_ == 0) fetch(model);
}

void DownpourStrategy::push() {
  const torch::Tensor version = torch::full({1}, fetched_version_, gradient_sum_.options());
  comm_.send(torch::cat({gradient_sum_, version}), 0, kPush, comm::Traffic::Training);
  gradient_sum_.zero_();
  pending_steps_ = 0;
}

void DownpourStrategy::fetch(torch::nn::Module& model) {
  comm_.send(torch::empty({0}, torch::kFloat32), 0, kFetch, comm::Traffic::Training);
  torch::Tensor buffer = torch::empty({parameter_count_ + 1}, weight_options_);
  comm_.recv(buffer, 0, kWeights, comm::Traffic::Training);
  take_weights(model, buffer);
}

void DownpourStrategy::take_weights(torch::nn::Module& model, const torch::Tensor& buffer) {
  train::unflatten_into_values(buffer.narrow(0, 0, parameter_count_), model.parameters());
  fetched_version_ = buffer[parameter_count_].item<double>();
}

torch::Tensor DownpourStrategy::weights_with_version() const {
  return torch::cat({weights_, torch::full({1}, static_cast<double>(version_), weights_.options())});
}

void DownpourStrategy::serve_epoch(torch::nn::Module& model) {
  int done = 0;
  while (done < comm_.size() - 1) {
    const std::optional<comm::Envelope> message = comm_.probe();
    if (!message) {
      std::this_thread::sleep_for(kIdlePoll);
      continue;
    }
    switch (message->tag) {
      case kPush: apply_push(message->source); break;
      case kFetch: answer_fetch(message->source); break;
      case kDone: {
        torch::Tensor none = torch::empty({0}, torch::kFloat32);
        comm_.recv(none, message->source, kDone, comm::Traffic::Training);
        ++done;
        break;
      }
      default:
        throw std::runtime_error("downpour server: unexpected message tag " + std::to_string(message->tag) +
                                 " from rank " + std::to_string(message->source));
    }
  }
  train::unflatten_into_values(weights_, model.parameters());
}

void DownpourStrategy::apply_push(int worker) {
  torch::Tensor buffer = torch::empty({parameter_count_ + 1}, weight_options_);
  comm_.recv(buffer, worker, kPush, comm::Traffic::Training);
  staleness_sum_ += static_cast<double>(version_) - buffer[parameter_count_].item<double>();
  weights_.sub_(buffer.narrow(0, 0, parameter_count_), lr_);
  ++version_;
}

void DownpourStrategy::answer_fetch(int worker) {
  torch::Tensor none = torch::empty({0}, torch::kFloat32);
  comm_.recv(none, worker, kFetch, comm::Traffic::Training);
  comm_.send(weights_with_version(), worker, kWeights, comm::Traffic::Training);
}

void DownpourStrategy::on_epoch_end(torch::nn::Module& model) {
  if (!is_server()) {
    if (pending_steps_ > 0) push();
    comm_.send(torch::empty({0}, torch::kFloat32), 0, kDone, comm::Traffic::Training);
  }
  torch::Tensor buffer = is_server() ? weights_with_version() : torch::empty({parameter_count_ + 1}, weight_options_);
  comm_.broadcast(buffer, 0, comm::Traffic::Training);
  if (!is_server()) take_weights(model, buffer);
}

std::optional<train::StrategyState> DownpourStrategy::checkpoint_state() const {
  train::StrategyState state{{"counts", torch::tensor({steps_, pending_steps_, version_}, torch::kInt64)},
                             {"versions", torch::tensor({fetched_version_, staleness_sum_}, torch::kFloat64)}};
  if (weights_.defined()) state["weights"] = weights_;
  if (gradient_sum_.defined()) state["gradient_sum"] = gradient_sum_;
  return state;
}

void DownpourStrategy::restore_state(const train::StrategyState& state) {
  const torch::Tensor counts = state.at("counts"), versions = state.at("versions");
  steps_ = counts[0].item<int64_t>();
  pending_steps_ = counts[1].item<int64_t>();
  version_ = counts[2].item<int64_t>();
  fetched_version_ = versions[0].item<double>();
  staleness_sum_ = versions[1].item<double>();
  if (state.count("weights")) weights_ = state.at("weights").clone();
  if (state.count("gradient_sum")) gradient_sum_ = state.at("gradient_sum").clone();
}

std::map<std::string, double> DownpourStrategy::run_metrics() const {
  return {{results::field::staleness_mean, version_ > 0 ? staleness_sum_ / static_cast<double>(version_) : 0.0}};
}

}  // namespace iddl::parallel
