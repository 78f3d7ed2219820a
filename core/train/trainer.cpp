#include "core/train/trainer.hpp"

#include <chrono>

#include "core/models/layers.hpp"
#include "core/train/epoch_order.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/train/lr_schedule.hpp"

namespace iddl::train {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

torch::optim::SGDOptions sgd_options(const TrainOptions& o) {
  return torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay);
}

void set_learning_rate(torch::optim::SGD& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
}

torch::Tensor index_tensor(const std::vector<int64_t>& indices) {
  return torch::from_blob(const_cast<int64_t*>(indices.data()), {static_cast<int64_t>(indices.size())}, torch::kInt64)
      .clone();
}

}  // namespace

Trainer::Trainer(models::Model model, const data::Dataset& data, const TrainOptions& options, torch::Device device,
                 comm::Communicator* comm, TrainingHooks& hooks)
    : model_(std::move(model)),
      data_(data),
      options_(options),
      device_(device),
      comm_(comm),
      hooks_(hooks),
      parameters_((model_->to(device_), model_->sgd_parameters())),
      optimizer_(parameters_, sgd_options(options)) {}

void Trainer::sum_over_ranks(torch::Tensor& values) {
  if (comm_ && comm_->size() > 1) comm_->allreduce_sum(values, comm::Traffic::Bookkeeping);
}

EpochResult Trainer::run_epoch(int64_t epoch) {
  if (!started_) {
    hooks_.on_start(*model_);
    started_ = true;
  }
  model_->train();
  double loss_sum = 0.0;
  int64_t samples = 0;
  const auto start = std::chrono::steady_clock::now();
  if (const std::optional<Shard> shard = hooks_.shard(rank(), world())) {
    const EpochOrder order(data_.train.images.size(0), options_.batch_size, shard->index, shard->count,
                           options_.seed + shard->order * 0x9E3779B97F4A7C15ULL, epoch);
    train_shard(order, loss_sum, samples);
  } else {
    hooks_.serve_epoch(*model_);
  }
  hooks_.on_epoch_end(*model_);
  EpochResult result;
  result.epoch = epoch;
  result.epoch_time_s = seconds_since(start);
  result.comm = comm_ ? comm_->take_stats() : comm::CommStats{};
  torch::Tensor totals = torch::tensor({loss_sum, static_cast<double>(samples)}, torch::kFloat64);
  sum_over_ranks(totals);
  result.train_loss = totals[0].item<double>() / totals[1].item<double>();
  hooks_.before_evaluation(*model_);
  const Evaluation test = evaluate();
  hooks_.after_evaluation(*model_);
  result.test_loss = test.loss;
  result.test_accuracy = test.accuracy;
  result.test_metrics = test.metrics;
  return result;
}

void Trainer::train_shard(const EpochOrder& order, double& loss_sum, int64_t& samples) {
  const auto& train = data_.train;
  for (int64_t batch = 0; batch < order.batches(); ++batch, ++step_) {
    set_learning_rate(optimizer_, learning_rate(options_, step_, order.batches()));
    optimizer_.zero_grad();
    const std::vector<int64_t> indices = order.local_indices(batch);
    if (!indices.empty()) {
      const torch::Tensor rows = index_tensor(indices);
      const torch::Tensor x = train.images.index_select(0, rows).to(device_);
      const torch::Tensor y = train.labels.index_select(0, rows).to(device_);
      torch::Tensor loss = model_->training_loss(x, y);
      loss.backward();
      loss_sum += loss.item<double>() * static_cast<double>(indices.size());
      samples += static_cast<int64_t>(indices.size());
    }
    ensure_gradients(parameters_);
    models::mask_gradients(*model_);
    hooks_.after_backward(*model_, static_cast<int64_t>(indices.size()), order.global_size(batch));
    optimizer_.step();
    hooks_.after_step(*model_);
  }
}

Evaluation Trainer::evaluate() {
  torch::NoGradGuard no_grad;
  model_->eval();
  const auto& test = data_.test;
  const int64_t n = test.images.size(0);
  const bool whole = model_->collective();
  const int64_t begin = whole ? 0 : n * rank() / world();
  const int64_t end = whole ? n : n * (rank() + 1) / world();
  models::TestSums sums;
  const int64_t chunk = std::max<int64_t>(options_.batch_size, 256);
  for (int64_t at = begin; at < end; at += chunk) {
    const int64_t stop = std::min(end, at + chunk);
    model_->score(test.images.slice(0, at, stop).to(device_), test.labels.slice(0, at, stop).to(device_), sums);
  }
  std::vector<double> values = {sums.samples, sums.loss, sums.correct};
  for (const auto& [name, value] : sums.extra) values.push_back(value);
  torch::Tensor totals = torch::tensor(values, torch::kFloat64);
  if (!whole) sum_over_ranks(totals);  // a collective model's sums are already the same on every rank
  model_->train();
  const double samples = std::max(1.0, totals[0].item<double>());
  Evaluation result{totals[1].item<double>() / samples, totals[2].item<double>() / samples, {}};
  int64_t at = 3;
  for (const auto& [name, value] : sums.extra) result.metrics[name] = totals[at++].item<double>() / samples;
  return result;
}

InferenceTiming Trainer::time_inference(int64_t batch_size, int64_t single_samples) {
  torch::NoGradGuard no_grad;
  model_->eval();
  const auto& images = data_.test.images;
  const int64_t n = images.size(0);
  InferenceTiming timing;
  auto start = std::chrono::steady_clock::now();
  for (int64_t at = 0; at < n; at += batch_size)
    model_->forward(images.slice(0, at, std::min(n, at + batch_size)).to(device_)).argmax(1).to(torch::kCPU);
  timing.inference_time_s = seconds_since(start);
  const int64_t singles = std::min(n, single_samples);
  start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < singles; ++i) model_->forward(images.slice(0, i, i + 1).to(device_)).argmax(1).to(torch::kCPU);
  timing.latency_ms = singles > 0 ? seconds_since(start) * 1000.0 / static_cast<double>(singles) : 0.0;
  model_->train();
  return timing;
}

}  // namespace iddl::train
