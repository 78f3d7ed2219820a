#include "runners/train/pipeline_training.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/data/dataset.hpp"
#include "core/train/epoch_order.hpp"
#include "core/train/lr_schedule.hpp"
#include "runners/train/run_events.hpp"

namespace iddl::runners {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

torch::Tensor index_tensor(const std::vector<int64_t>& indices) {
  return torch::tensor(indices, torch::kInt64);
}

// Where this rank sits: stage `stage` of pipeline `pipeline`, K stages and D pipelines.
struct Placement {
  int stages = 1, pipelines = 1, stage = 0, pipeline = 0;
};

Placement placement(const nlohmann::json& parallelism, const comm::Communicator& world) {
  Placement p;
  const int asked = parallelism.at("stages").get<int>();
  p.stages = asked == 0 ? world.size() : asked;
  if (world.size() % p.stages != 0)
    throw std::invalid_argument("pipeline: " + std::to_string(world.size()) + " ranks are not a multiple of " +
                                std::to_string(p.stages) + " stages");
  p.pipelines = world.size() / p.stages;
  p.stage = world.rank() % p.stages;
  p.pipeline = world.rank() / p.stages;
  return p;
}

// The run's split: explicit points, or balanced by FLOPs or by stage times rank 0 measured (broadcast,
// so every rank splits alike).
pipeline::StageSplit run_split(const nlohmann::json& parallelism, models::StagedModelImpl& model,
                               const models::InputShape& shape, int stages, int64_t rows, comm::Communicator& world) {
  const auto points = parallelism.at("split").get<std::vector<int64_t>>();
  if (!points.empty()) return pipeline::explicit_split(model.stage_count(), points);
  if (parallelism.at("balance") == "flops") return pipeline::split_by_flops(model, shape, stages);
  std::vector<int64_t> costs(static_cast<size_t>(model.stage_count()), 0);
  if (world.rank() == 0) costs = pipeline::stage_microseconds(model, shape, rows, 5);
  torch::Tensor shared = torch::tensor(costs, torch::kInt64);
  world.broadcast(shared, 0, comm::Traffic::Bookkeeping);
  return pipeline::balanced_split({shared.data_ptr<int64_t>(), shared.data_ptr<int64_t>() + shared.numel()}, stages);
}

void set_learning_rate(torch::optim::SGD& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
}

// The pipeline run of one rank: its trainer, its data order, its epochs, evaluation and timing.
class PipelineRun {
 public:
  PipelineRun(const nlohmann::json& config, comm::Communicator& world, const torch::Device& device)
      : config_(config),
        world_(world),
        device_(device),
        options_(train_options(config)),
        where_(placement(config.at("parallelism"), world)),
        stages_comm_(world.split(where_.pipeline, where_.stage)),
        replicas_comm_(world.split(where_.stage, where_.pipeline)),
        data_(data::load_dataset(data_options(config))),
        shape_{data_.shape.channels, data_.shape.height, data_.shape.width, data_.shape.classes},
        network_(build_network()),
        trainer_(network_, shape_,
                 run_split(config.at("parallelism"), *network_, shape_, where_.stages, options_.batch_size, world),
                 *stages_comm_, pipeline_options(config.at("parallelism"), options_), replicas_comm_.get()) {}

  int64_t params() { return models::count_parameters(*network_); }
  int64_t flops() { return models::count_flops(*network_, shape_); }
  int64_t train_samples() const { return data_.train.images.size(0); }

  train::EpochResult run_epoch(int64_t epoch) {
    const train::EpochOrder order(train_samples(), options_.batch_size, where_.pipeline, where_.pipelines,
                                  options_.seed, epoch);
    double loss_sum = 0.0;
    int64_t samples = 0;
    const auto start = Clock::now();
    for (int64_t batch = 0; batch < order.batches(); ++batch, ++step_) {
      set_learning_rate(trainer_.optimizer(), train::learning_rate(options_, step_, order.batches()));
      const torch::Tensor rows = index_tensor(order.local_indices(batch));
      const torch::Tensor x = data_.train.images.index_select(0, rows).to(device_);
      const torch::Tensor y = data_.train.labels.index_select(0, rows).to(device_);
      const double loss = trainer_.train_step(x, y);
      loss_sum += loss * static_cast<double>(order.global_size(batch));
      samples += order.global_size(batch);
    }
    train::EpochResult result;
    result.epoch = epoch;
    result.epoch_time_s = seconds_since(start);
    result.comm = world_.take_stats();
    result.comm += stages_comm_->take_stats();
    result.comm += replicas_comm_->take_stats();
    result.train_loss = loss_sum / static_cast<double>(std::max<int64_t>(samples, 1));
    evaluate(result);
    return result;
  }

  // Inference through the pipeline, timed on every rank (what rank 0 measures is reported): the test
  // set in batches of `batch_size`, then `singles` samples one at a time, every pipeline on its own.
  train::InferenceTiming time_inference(int64_t batch_size, int64_t singles) {
    torch::NoGradGuard no_grad;
    const torch::Tensor& images = data_.test.images;
    const int64_t n = images.size(0);
    train::InferenceTiming timing;
    auto start = Clock::now();
    for (int64_t at = 0; at < n; at += batch_size)
      trainer_.infer(images.slice(0, at, std::min(n, at + batch_size)).to(device_));
    stages_comm_->barrier();
    timing.inference_time_s = seconds_since(start);
    const int64_t count = std::min(n, singles);
    start = Clock::now();
    for (int64_t i = 0; i < count; ++i) trainer_.infer(images.slice(0, i, i + 1).to(device_));
    stages_comm_->barrier();
    timing.latency_ms = count > 0 ? seconds_since(start) * 1000.0 / static_cast<double>(count) : 0.0;
    return timing;
  }

  // The pipeline's measures over the run (every rank calls it; complete on rank 0): efficiency
  // against the ideal, boundary bytes over their float32 size, and per stage and boundary of
  // pipeline 0 its memory, bytes, receive time and bandwidth (seed 004: received bytes over
  // receive time).
  std::map<std::string, double> metrics() {
    const pipeline::StageStats& s = trainer_.stage_stats();
    const pipeline::BoundaryStats& prev = trainer_.previous_boundary();
    const pipeline::BoundaryStats& next = trainer_.next_boundary();
    const torch::Tensor own = torch::tensor({s.compute_seconds, s.step_seconds, static_cast<double>(s.peak_live_micro_batches),
                                             static_cast<double>(s.peak_activation_bytes), static_cast<double>(prev.bytes_received),
                                             prev.recv_seconds, static_cast<double>(next.bytes_received), next.recv_seconds,
                                             static_cast<double>(next.bytes_sent), static_cast<double>(prev.bytes_sent),
                                             static_cast<double>(next.dense_bytes_sent + prev.dense_bytes_sent)},
                                            torch::kFloat64);
    const std::vector<torch::Tensor> all = world_.allgather(own, comm::Traffic::Bookkeeping);
    std::map<std::string, double> m;
    double compute = 0.0, step = 0.0, wire = 0.0, dense = 0.0;
    for (const torch::Tensor& r : all) {
      compute += r[0].item<double>();
      step += r[1].item<double>();
      wire += r[8].item<double>() + r[9].item<double>();
      dense += r[10].item<double>();
    }
    if (dense > 0.0) m["boundary_compression_ratio"] = wire / dense;
    const auto chunks = config_.at("parallelism").at("chunks").get<int64_t>();
    m["pipeline_efficiency"] = step > 0.0 ? compute / step : 0.0;
    m["ideal_efficiency"] = pipeline::ideal_efficiency(where_.stages, chunks);
    m["pipeline_stages"] = where_.stages;
    m["pipeline_replicas"] = where_.pipelines;
    for (int k = 0; k < where_.stages; ++k) {  // pipeline 0: world ranks 0..K-1
      const torch::Tensor& r = all[static_cast<size_t>(k)];
      const std::string stage = std::to_string(k);
      m["stage_first." + stage] = static_cast<double>(trainer_.split()[static_cast<size_t>(k)].first);
      m["peak_live_micro_batches." + stage] = r[2].item<double>();
      if (device_.is_cpu()) m["peak_activation_bytes." + stage] = r[3].item<double>();
      if (k == 0) continue;
      // boundary k joins stage k - 1 and stage k
      const torch::Tensor& before = all[static_cast<size_t>(k - 1)];
      const std::string b = "boundary." + stage;
      m[b + ".forward_bytes"] = before[8].item<double>();
      m[b + ".backward_bytes"] = r[9].item<double>();
      m[b + ".forward_recv_s"] = r[5].item<double>();
      m[b + ".backward_recv_s"] = before[7].item<double>();
      if (r[5].item<double>() > 0) m[b + ".forward_bandwidth_Bps"] = r[4].item<double>() / r[5].item<double>();
      if (before[7].item<double>() > 0)
        m[b + ".backward_bandwidth_Bps"] = before[6].item<double>() / before[7].item<double>();
    }
    return m;
  }

 private:
  models::StagedModel build_network() {
    torch::manual_seed(options_.seed);  // every rank the same network
    models::StagedModel network = models::make_model(model_options(config_), shape_);
    network->to(device_);
    return network;
  }

  // Test loss and accuracy over the whole test set: pipeline d scores slice d, summed over the pipelines.
  void evaluate(train::EpochResult& result) {
    const torch::Tensor& images = data_.test.images;
    const int64_t n = images.size(0);
    const int64_t begin = n * where_.pipeline / where_.pipelines, end = n * (where_.pipeline + 1) / where_.pipelines;
    models::TestSums sums;
    const int64_t chunk = std::max<int64_t>(options_.batch_size, 256);
    for (int64_t at = begin; at < end; at += chunk) {
      const int64_t stop = std::min(end, at + chunk);
      trainer_.score(images.slice(0, at, stop).to(device_), data_.test.labels.slice(0, at, stop).to(device_), sums);
    }
    torch::Tensor totals = torch::tensor({sums.samples, sums.loss, sums.correct}, torch::kFloat64);
    replicas_comm_->allreduce_sum(totals, comm::Traffic::Bookkeeping);
    const double samples = std::max(1.0, totals[0].item<double>());
    result.test_loss = totals[1].item<double>() / samples;
    result.test_accuracy = totals[2].item<double>() / samples;
  }

  const nlohmann::json& config_;
  comm::Communicator& world_;
  torch::Device device_;
  train::TrainOptions options_;
  Placement where_;
  std::unique_ptr<comm::Communicator> stages_comm_, replicas_comm_;
  data::Dataset data_;
  models::InputShape shape_;
  models::StagedModel network_;
  pipeline::PipelineTrainer trainer_;
  int64_t step_ = 0;
};

}  // namespace

pipeline::PipelineOptions pipeline_options(const nlohmann::json& p, const train::TrainOptions& o) {
  pipeline::PipelineOptions options;
  options.chunks = p.at("chunks").get<int64_t>();
  options.schedule = p.at("schedule").get<std::string>();
  options.receive_timeout_s = p.at("receive_timeout").get<double>();
  options.sgd = torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay);
  const std::string method = p.at("boundary_compression").get<std::string>();
  const int bits = p.at("bits").get<int>();
  options.codec.method = method;
  if (method == "sortquant") {
    const int split = p.at("split_bits").get<int>() > 0 ? p.at("split_bits").get<int>() : std::max(1, bits / 4);
    options.codec.bits = bits - split;
    options.codec.split = split;
  } else if (method == "uniform") {
    options.codec.bits = bits;
    options.codec.split = 0;
  }
  return options;
}

int run_pipeline_training(const RunSpec& spec, const RunEnvironment& environment, comm::Communicator& comm,
                          EventWriter& events) {
  const nlohmann::json& config = spec.config;
  const int threads = run_threads(config, environment, comm.size());
  torch::set_num_threads(threads);
  const torch::Device device = run_device(config);
  PipelineRun run(config, comm, device);
  const int64_t params = run.params(), flops = run.flops();
  events.emit(results::kRunStarted, run_started_fields(spec, environment, comm.size(), device, threads, params, flops));

  const int64_t epochs = config.at("epochs").get<int64_t>();
  const EpochTotals totals = run_epochs(epochs, [&](int64_t epoch) { return run.run_epoch(epoch); }, events);
  if (!totals.finite) return 3;
  const train::InferenceTiming timing = run.time_inference(256, 200);
  std::map<std::string, double> metrics = run.metrics();
  metrics["samples_per_s"] = samples_per_second(run.train_samples(), epochs, totals.train_time_s);
  comm.barrier();
  nlohmann::json summary = run_finished_fields(totals, timing, params, flops);
  summary[results::field::metrics] = metrics;
  events.emit(results::kRunFinished, summary);
  return 0;
}

}  // namespace iddl::runners
