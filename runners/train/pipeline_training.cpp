#include "runners/train/pipeline_training.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/data/dataset.hpp"
#include "core/pipeline/rank_measures.hpp"
#include "core/train/epoch_driver.hpp"
#include "matrix/checkpoint_policy.hpp"
#include "matrix/config.hpp"
#include "runners/train/checkpoint.hpp"
#include "runners/train/run_events.hpp"

namespace iddl::runners {
namespace {

// Where this rank sits: stage `stage` of pipeline `pipeline`, K stages and D pipelines.
struct Placement {
  int stages = 1, pipelines = 1, stage = 0, pipeline = 0;
};

Placement placement(const nlohmann::json& parallelism, const comm::Communicator& world) {
  Placement p;
  const int asked = parallelism.at("stages").get<int>();
  p.stages = asked == 0 ? world.size() : asked;
  if (world.size() % p.stages != 0)
    throw std::logic_error("pipeline placement: " + std::to_string(world.size()) + " ranks for " +
                           std::to_string(p.stages) + " stages, but matrix::resolve_config admits only ranks that " +
                           "are a multiple of the stages (is iddl-train running on other ranks than the config's?)");
  p.pipelines = world.size() / p.stages;
  p.stage = world.rank() % p.stages;
  p.pipeline = world.rank() / p.stages;
  return p;
}

// The samples of one pipeline's step: batch_size, or the most any pipeline takes of it (batch_scope "global").
int64_t pipeline_batch(const train::TrainOptions& options, int pipelines) {
  return options.batch_scope == "global" ? (options.batch_size + pipelines - 1) / pipelines : options.batch_size;
}

// The run's split into the groups its placement puts on `stages` ranks: explicit points, or balanced by
// FLOPs or by stage times rank 0 measured (broadcast, so every rank splits alike).
pipeline::StageSplit run_split(const nlohmann::json& parallelism, models::StagedModelImpl& model,
                               const models::InputShape& shape, int stages, int64_t rows, comm::Communicator& world) {
  const auto points = parallelism.at("split").get<std::vector<int64_t>>();
  if (!points.empty()) return pipeline::explicit_split(model.stage_count(), points);
  const auto groups =
      static_cast<int64_t>(pipeline::group_ranks(parallelism.at("placement").get<std::string>(), stages).size());
  if (parallelism.at("balance") == "flops") return pipeline::split_by_flops(model, shape, groups);
  std::vector<int64_t> costs(static_cast<size_t>(model.stage_count()), 0);
  if (world.rank() == 0) costs = pipeline::stage_microseconds(model, shape, rows, 5);
  torch::Tensor shared = torch::tensor(costs, torch::kInt64);
  world.broadcast(shared, 0, comm::Traffic::Bookkeeping);
  return pipeline::balanced_split({shared.data_ptr<int64_t>(), shared.data_ptr<int64_t>() + shared.numel()}, groups);
}

// The pipeline run of one rank: its communicators, data and network, its trainer and epoch driver.
class PipelineRun {
 public:
  // `split`: the groups of a resumed run's checkpoint; none to split anew (run_split).
  PipelineRun(const nlohmann::json& config, comm::Communicator& world, const torch::Device& device,
              const std::optional<pipeline::StageSplit>& split)
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
                 split ? *split
                       : run_split(config.at("parallelism"), *network_, shape_, where_.stages,
                                   pipeline_batch(options_, where_.pipelines), world),
                 *stages_comm_, pipeline_options(config.at("parallelism"), options_), replicas_comm_.get()),
        driver_(trainer_, data_, options_, device_) {}

  int64_t params() { return models::count_parameters(*network_); }
  int64_t flops() { return models::count_flops(*network_, shape_); }
  int64_t train_samples() const { return data_.train.images.size(0); }
  // The epochs, evaluation and inference timing: every pipeline trains its shard and scores its slice
  // of the test set, and times inference on its own (what rank 0 measures is reported).
  train::EpochDriver& driver() { return driver_; }
  // This rank's trainer: what its checkpoints hold.
  pipeline::PipelineTrainer& trainer() { return trainer_; }
  // The whole network as this rank holds it (its own stages trained).
  const torch::nn::Module& network() const { return *network_; }

  // The pipeline's run metrics (docs/pipeline.md; every rank calls it, complete on rank 0).
  std::map<std::string, double> metrics() {
    const auto chunks = config_.at("parallelism").at("chunks").get<int64_t>();
    return pipeline::pipeline_metrics(pipeline::gather_measures(pipeline::rank_measures(trainer_), world_),
                                      trainer_.split(), trainer_.group_ranks(), chunks);
  }

 private:
  models::StagedModel build_network() {
    torch::manual_seed(options_.seed);  // every rank the same network
    models::StagedModel network = models::make_model(model_options(config_), shape_);
    network->set_loss(training_loss(config_));
    network->to(device_);
    return network;
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
  train::EpochDriver driver_;
};

}  // namespace

pipeline::PipelineOptions pipeline_options(const nlohmann::json& p, const train::TrainOptions& o) {
  pipeline::PipelineOptions options;
  options.chunks = p.at("chunks").get<int64_t>();
  options.schedule = p.at("schedule").get<std::string>();
  options.receive_timeout_s = p.at("receive_timeout").get<double>();
  options.placement = p.at("placement").get<std::string>();
  options.sgd = torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay);
  const std::string method = p.at("boundary_compression").get<std::string>();
  const int bits = p.at("bits").get<int>();
  options.codec.method = method;
  options.codec.container =
      p.at("container").get<std::string>() == "int" ? compress::CodeContainer::Int : compress::CodeContainer::Packed;
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
  std::optional<Checkpoints> checkpoints;
  if (!spec.checkpoint_dir.empty()) checkpoints.emplace(spec.checkpoint_dir, comm);
  const int64_t resumed = checkpoints ? checkpoints->latest_complete() : 0;
  std::optional<pipeline::StageSplit> split;
  if (resumed > 0) {
    torch::serialize::InputArchive archive = checkpoints->archive(resumed);
    split = pipeline::checkpointed_split(archive);
  }
  PipelineRun run(config, comm, device, split);
  const int64_t params = run.params(), flops = run.flops();
  nlohmann::json started = run_started_fields(spec, environment, comm.size(), device, threads, params, flops);
  if (resumed > 0) started[results::field::resumed_from_epoch] = resumed;
  events.emit(results::kRunStarted, started);

  const int64_t epochs = config.at("epochs").get<int64_t>();
  EpochTotals so_far;
  if (resumed > 0) checkpoints->load(resumed, run.trainer(), run.driver(), so_far);
  const EpochTotals totals =
      run_epochs(epochs, run.driver(), events, so_far,
                 checkpoints_after_epoch(matrix::checkpoint_policy(config), checkpoints ? &*checkpoints : nullptr,
                                         run.trainer(), run.driver(), comm));
  if (!totals.finite) return 3;
  if (!spec.model_dir.empty()) save_final_model(spec.model_dir, comm.rank(), run.network());
  const train::InferenceTiming timing = run.driver().time_inference(256, 200);
  std::map<std::string, double> metrics = run.metrics();
  metrics["samples_per_s"] = samples_per_second(run.train_samples(), epochs, totals.train_time_s);
  comm.barrier();
  nlohmann::json summary = run_finished_fields(totals, timing, params, flops);
  summary[results::field::metrics] = metrics;
  events.emit(results::kRunFinished, summary);
  if (checkpoints) checkpoints->remove();  // done: the run is not resumed again
  return 0;
}

}  // namespace iddl::runners
