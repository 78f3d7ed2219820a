#include "runners/train/run_training.hpp"

#include <cmath>
#include <optional>

#include "core/train/epoch_driver.hpp"
#include "core/train/trainer.hpp"
#include "matrix/axis_value.hpp"
#include "matrix/checkpoint_policy.hpp"
#include "runners/train/checkpoint.hpp"
#include "runners/train/model_assembly.hpp"
#include "runners/train/pipeline_training.hpp"
#include "runners/train/run_events.hpp"
#include "core/parallel/strategy_registry.hpp"
#include "core/parallel/vertical_strategy.hpp"
#include "core/vertical/adaboost_trainer.hpp"

namespace iddl::runners {
namespace {

models::InputShape model_shape(const data::InputShape& s) { return {s.channels, s.height, s.width, s.classes}; }

// The strategy of the run: the vertical axis's when it splits the model (the matrix then allows only
// parallelism "single": one model spread over the ranks), else the parallelism axis's.
std::unique_ptr<train::TrainingHooks> run_strategy(const nlohmann::json& config, const AssembledModel& assembled,
                                                   const data::Dataset& data, const train::TrainOptions& options,
                                                   comm::Communicator& comm) {
  const vertical::VerticalOptions vertical = vertical_options(config);
  if (vertical.method == "none") return parallel::make_strategy(strategy_options(config), options, comm);
  return std::make_unique<parallel::VerticalStrategy>(assembled.ensemble, data, options, vertical.combiner_lr);
}

vertical::AdaBoostOptions adaboost_options(const nlohmann::json& config) {
  const vertical::VerticalOptions v = vertical_options(config);
  return {v.update, v.sample_weighting};
}

// The run_finished metrics the model adds to its test metrics: early exit's per-exit FLOPs and
// inference times (the test set through each exit alone) and its no-exit baseline (FLOPs, inference
// time and latency on this rank).
std::map<std::string, double> model_metrics(const AssembledModel& assembled, train::EpochDriver& driver) {
  std::map<std::string, double> metrics;
  if (!assembled.early_exit) return metrics;
  const auto& flops = assembled.early_exit->exit_flops();
  for (size_t k = 0; k < flops.size(); ++k)
    metrics["exit_flops." + std::to_string(k + 1)] = static_cast<double>(flops[k]);
  for (size_t k = 0; k < flops.size(); ++k) {
    assembled.early_exit->set_single_exit(static_cast<int64_t>(k + 1));
    metrics["exit_time_s." + std::to_string(k + 1)] = driver.time_inference(256, 0).inference_time_s;
  }
  assembled.early_exit->set_single_exit(0);
  metrics["baseline_flops"] = static_cast<double>(assembled.early_exit->baseline_flops());
  assembled.early_exit->set_exiting(false);
  const train::InferenceTiming baseline = driver.time_inference(256, 200);
  assembled.early_exit->set_exiting(true);
  metrics["baseline_inference_time_s"] = baseline.inference_time_s;
  metrics["baseline_latency_ms"] = baseline.latency_ms;
  return metrics;
}

}  // namespace

int run_training(const RunSpec& spec, const RunEnvironment& environment, comm::Communicator& comm,
                 EventWriter& events) {
  const nlohmann::json& config = spec.config;
  if (matrix::axis_method(config.at("parallelism")) == "pipeline")
    return run_pipeline_training(spec, environment, comm, events);
  const int threads = run_threads(config, environment, comm.size());
  torch::set_num_threads(threads);
  const torch::Device device = run_device(config);
  const train::TrainOptions options = train_options(config);

  const data::Dataset dataset = data::load_dataset(data_options(config));
  const models::InputShape shape = model_shape(dataset.shape);
  const AssembledModel assembled = assemble_model(config, shape, comm);
  const ModelSize size = measure_model(assembled, shape, comm);
  const int64_t params = size.params, flops = size.flops;
  auto strategy = run_strategy(config, assembled, dataset, options, comm);

  std::optional<Checkpoints> checkpoints;
  if (!spec.checkpoint_dir.empty()) checkpoints.emplace(spec.checkpoint_dir, comm);
  const int64_t resumed = checkpoints ? checkpoints->latest_complete() : 0;
  nlohmann::json started = run_started_fields(spec, environment, comm.size(), device, threads, params, flops);
  if (resumed > 0) started[results::field::resumed_from_epoch] = resumed;
  events.emit(results::kRunStarted, started);

  // AdaBoost trains its members in turn (its own engine); every other run steps one Trainer.
  std::unique_ptr<train::StepEngine> engine;
  train::Checkpointable* state = nullptr;
  if (assembled.adaboost) {
    auto boosting = std::make_unique<vertical::AdaBoostTrainer>(assembled.adaboost, dataset.train, options,
                                                                adaboost_options(config), device);
    state = boosting.get();
    engine = std::move(boosting);
  } else {
    auto stepped = std::make_unique<train::Trainer>(assembled.model, options, device, &comm, *strategy);
    state = stepped.get();
    engine = std::move(stepped);
  }
  train::EpochDriver driver(*engine, dataset, options, device);
  EpochTotals so_far;
  if (resumed > 0) checkpoints->load(resumed, *state, driver, so_far);
  const EpochTotals totals = run_epochs(options.epochs, driver, events, so_far,
                                        checkpoints_after_epoch(matrix::checkpoint_policy(config),
                                                                checkpoints ? &*checkpoints : nullptr, *state, driver,
                                                                comm));
  if (!totals.finite) return 3;
  if (!spec.model_dir.empty()) save_final_model(spec.model_dir, comm.rank(), *assembled.model);

  train::InferenceTiming timing;
  std::map<std::string, double> metrics = totals.last.test_metrics;
  if (comm.rank() == 0 || assembled.model->collective()) {
    timing = driver.time_inference(256, 200);
    metrics.merge(model_metrics(assembled, driver));
  }
  comm.barrier();
  nlohmann::json summary = run_finished_fields(totals, timing, params, flops);
  metrics["samples_per_s"] = samples_per_second(dataset.train.images.size(0), options.epochs, totals.train_time_s);
  if (assembled.early_exit)  // what its samples used on average, the no-exit figure in metrics
    summary[results::field::flops] = static_cast<int64_t>(std::llround(metrics.at("mean_inference_flops")));
  metrics.merge(strategy->named_metrics());
  if (!metrics.empty()) summary[results::field::metrics] = metrics;
  for (const auto& [name, value] : strategy->run_metrics()) summary[name] = value;
  events.emit(results::kRunFinished, summary);
  if (checkpoints) checkpoints->remove();  // done: the run is not resumed again
  return 0;
}

}  // namespace iddl::runners
