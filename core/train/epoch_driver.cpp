#include "core/train/epoch_driver.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "core/comm/stopwatch.hpp"
#include "core/train/lr_schedule.hpp"

namespace iddl::train {
namespace {

// `values` as one float64 tensor, summed over `ranks` (bookkeeping traffic) unless they are null.
torch::Tensor summed_over(comm::Communicator* ranks, const std::vector<double>& values) {
  torch::Tensor totals = torch::tensor(values, torch::kFloat64);
  if (ranks) ranks->allreduce_sum(totals, comm::Traffic::Bookkeeping);
  return totals;
}

// Waits for every rank of `ranks` (nothing when null).
void wait_for(comm::Communicator* ranks) {
  if (ranks) ranks->barrier();
}

}  // namespace

EpochDriver::EpochDriver(StepEngine& engine, const data::Dataset& data, const TrainOptions& options,
                         torch::Device device)
    : engine_(engine),
      data_(data),
      data_on_device_(data, device, options.device_data_mb),
      options_(options) {}

EpochResult EpochDriver::run_epoch(int64_t epoch) {
  engine_.start_epoch();
  StepLoss loss;
  const auto start = std::chrono::steady_clock::now();
  if (const std::optional<Shard> shard = engine_.shard()) {
    const uint64_t seed = options_.seed + shard->order * 0x9E3779B97F4A7C15ULL;
    const int64_t global_batch = step_batch(options_.batch_size, options_.batch_scope, shard->count);
    const EpochOrder order(data_.train.images.size(0), global_batch, shard->index, shard->count, seed, epoch);
    loss = train_shard(order, data::BatchKey{seed, static_cast<uint64_t>(shard->index), epoch, 0});
  } else {
    engine_.serve_epoch();
  }
  engine_.end_epoch();
  EpochResult result;
  result.epoch = epoch;
  result.epoch_time_s = comm::seconds_since(start);
  result.comm = engine_.take_stats();
  const torch::Tensor totals = summed_over(engine_.loss_ranks(), {loss.sum, static_cast<double>(loss.samples)});
  result.train_loss = totals[0].item<double>() / totals[1].item<double>();
  engine_.before_evaluation();
  const Evaluation test = evaluate();
  engine_.after_evaluation();
  result.test_loss = test.loss;
  result.test_accuracy = test.accuracy;
  result.test_metrics = test.metrics;
  return result;
}

StepLoss EpochDriver::train_shard(const EpochOrder& order, data::BatchKey key) {
  StepLoss total;
  torch::Tensor on_device;  // the steps' device sums, read once at the end
  for (int64_t batch = 0; batch < order.batches(); ++batch, ++step_) {
    engine_.set_learning_rate(learning_rate(options_, step_, order.batches()));
    const torch::Tensor rows = torch::tensor(order.local_indices(batch), torch::kInt64);
    engine_.set_batch_rows(rows);
    key.batch = batch;
    const data::TensorSet batch_data = data_on_device_.train_rows(rows);
    const torch::Tensor x = data::augment_batch(batch_data.images, options_.augment, key);
    const StepLoss step = engine_.train_step(x, batch_data.labels, order.global_size(batch));
    total.sum += step.sum;
    total.samples += step.samples;
    if (step.device_sum.defined()) on_device = on_device.defined() ? on_device + step.device_sum : step.device_sum;
  }
  if (on_device.defined()) total.sum += on_device.item<double>();
  return total;
}

Evaluation EpochDriver::evaluate() {
  const int64_t n = data_.test.images.size(0);
  comm::Communicator* ranks = engine_.evaluation_ranks();
  const int64_t begin = ranks ? n * ranks->rank() / ranks->size() : 0;
  const int64_t end = ranks ? n * (ranks->rank() + 1) / ranks->size() : n;
  models::TestSums sums;
  const int64_t chunk = std::max<int64_t>(options_.batch_size, 256);
  for (int64_t at = begin; at < end; at += chunk) {
    const int64_t stop = std::min(end, at + chunk);
    const data::TensorSet chunk_data = data_on_device_.test_slice(at, stop);
    engine_.score(chunk_data.images, chunk_data.labels, sums);
  }
  std::vector<double> values = {sums.samples, sums.loss, sums.correct};
  for (const auto& [name, value] : sums.extra) values.push_back(value);
  const torch::Tensor totals = summed_over(ranks, values);
  const double samples = std::max(1.0, totals[0].item<double>());
  Evaluation result{totals[1].item<double>() / samples, totals[2].item<double>() / samples, {}};
  int64_t at = 3;
  for (const auto& [name, value] : sums.extra) result.metrics[name] = totals[at++].item<double>() / samples;
  return result;
}

InferenceTiming EpochDriver::time_inference(int64_t batch_size, int64_t single_samples) {
  const int64_t n = data_.test.images.size(0);
  InferenceTiming timing;
  auto start = std::chrono::steady_clock::now();
  for (int64_t at = 0; at < n; at += batch_size)
    engine_.infer(data_on_device_.test_slice(at, std::min(n, at + batch_size)).images);
  wait_for(engine_.inference_ranks());
  timing.inference_time_s = comm::seconds_since(start);
  const int64_t singles = std::min(n, single_samples);
  start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < singles; ++i) engine_.infer(data_on_device_.test_slice(i, i + 1).images);
  wait_for(engine_.inference_ranks());
  timing.latency_ms = singles > 0 ? comm::seconds_since(start) * 1000.0 / static_cast<double>(singles) : 0.0;
  return timing;
}

}  // namespace iddl::train
