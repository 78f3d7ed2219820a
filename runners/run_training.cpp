#include "runners/run_training.hpp"

#include <cmath>
#include <stdexcept>

#include "core/train/trainer.hpp"
#include "hardware/thread_budget.hpp"
#include "matrix/axis_value.hpp"
#include "runners/model_assembly.hpp"
#include "runners/strategy_factory.hpp"
#include "runners/vertical_strategy.hpp"

namespace iddl::runners {
namespace {

torch::Device resolve_device(const std::string& setting) {
  const bool cuda = torch::cuda::is_available();
  if (setting == "cuda" && !cuda) throw std::invalid_argument("device 'cuda' requested but LibTorch sees no GPU");
  return (setting == "cuda" || (setting == "auto" && cuda)) ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

nlohmann::json comm_fields(const comm::CommStats& stats) {
  return {{"bytes_sent", stats.bytes_sent},
          {"bytes_received", stats.bytes_received},
          {"comm_time_s", stats.seconds},
          {"bandwidth_Bps", stats.bandwidth_Bps()}};
}

models::InputShape model_shape(const data::InputShape& s) { return {s.channels, s.height, s.width, s.classes}; }

// The strategy of the run: the vertical axis's when it splits the model (parallelism must then be
// "single": one model spread over the ranks), else the parallelism axis's.
std::unique_ptr<train::TrainingHooks> run_strategy(const nlohmann::json& config, const AssembledModel& assembled,
                                                   const data::Dataset& data, const train::TrainOptions& options,
                                                   comm::Communicator& comm) {
  const std::string vertical = matrix::axis_method(config.at("vertical"));
  if (vertical == "none") return make_strategy(config.at("parallelism"), config.at("compression"), options, comm);
  const std::string parallelism = matrix::axis_method(config.at("parallelism"));
  if (parallelism != "single")
    throw std::invalid_argument("vertical '" + vertical + "' spreads one model over the ranks: it needs parallelism " +
                                "'single', not '" + parallelism + "'");
  return std::make_unique<VerticalStrategy>(assembled.ensemble, data, options,
                                            config.at("vertical").value("combiner_lr", 0.0));
}

// The run_finished metrics the model adds to its test metrics: early exit's per-exit FLOPs and its
// no-exit baseline (FLOPs, inference time and latency on this rank).
std::map<std::string, double> model_metrics(const AssembledModel& assembled, train::Trainer& trainer) {
  std::map<std::string, double> metrics;
  if (!assembled.early_exit) return metrics;
  const auto& flops = assembled.early_exit->exit_flops();
  for (size_t k = 0; k < flops.size(); ++k)
    metrics["exit_flops." + std::to_string(k + 1)] = static_cast<double>(flops[k]);
  metrics["baseline_flops"] = static_cast<double>(assembled.early_exit->baseline_flops());
  assembled.early_exit->set_exiting(false);
  const train::InferenceTiming baseline = trainer.time_inference(256, 200);
  assembled.early_exit->set_exiting(true);
  metrics["baseline_inference_time_s"] = baseline.inference_time_s;
  metrics["baseline_latency_ms"] = baseline.latency_ms;
  return metrics;
}

}  // namespace

int run_training(const RunSpec& spec, const RunEnvironment& environment, comm::Communicator& comm,
                 EventWriter& events) {
  const nlohmann::json& config = spec.config;
  const int threads = environment.threads > 0
                          ? environment.threads
                          : hardware::threads_per_rank(config.at("threads").get<int>(), comm.size(), environment.cores);
  torch::set_num_threads(threads);
  const torch::Device device = resolve_device(config.at("device").get<std::string>());
  const train::TrainOptions options = train_options(config);

  const data::Dataset dataset = data::load_dataset(data_options(config));
  const models::InputShape shape = model_shape(dataset.shape);
  const AssembledModel assembled = assemble_model(config, shape, comm);
  const ModelSize size = measure_model(assembled, shape, comm);
  const int64_t params = size.params, flops = size.flops;
  auto strategy = run_strategy(config, assembled, dataset, options, comm);

  nlohmann::json started = {{"run_key", spec.run_key},
                            {"sweep", spec.sweep},
                            {"repeat", spec.repeat},
                            {"config", config},
                            {"world_size", comm.size()},
                            {"host", environment.host},
                            {"cpu_model", environment.cpu_model},
                            {"cpu_cores", environment.cores},
                            {"iddl_commit", environment.iddl_commit},
                            {"compiler", environment.compiler},
                            {"device", device.str()},
                            {"threads", threads},
                            {"blas_library", environment.blas_library},
                            {"blas_kernel", environment.blas_kernel},
                            {"torch_version", TORCH_VERSION},
                            {"mpi_version", environment.mpi_version},
                            {"params", params},
                            {"flops", flops},
                            {"cpu_sockets", environment.cpu_sockets},
                            {"memory_bytes", environment.memory_bytes},
                            {"gpu_count", environment.gpu_count},
                            {"nccl_version", environment.nccl_version}};
  if (environment.gpu_count > 0) started["gpu_memory_bytes"] = environment.gpu_memory_bytes;
  for (const auto& [name, value] : {std::pair<const char*, const std::string&>{"gpu_name", environment.gpu_name},
                                    {"gpu_driver", environment.gpu_driver},
                                    {"cuda_version", environment.cuda_version},
                                    {"gpu_topology", environment.gpu_topology}})
    if (!value.empty()) started[name] = value;  // a machine without GPUs leaves them NULL
  events.emit("run_started", started);

  train::Trainer trainer(assembled.model, dataset, options, device, &comm, *strategy);
  comm::CommStats total;
  double train_time = 0.0;
  train::EpochResult last;
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    last = trainer.run_epoch(epoch);
    total += last.comm;
    train_time += last.epoch_time_s;
    if (!std::isfinite(last.train_loss)) {
      events.emit("error", {{"message", "train loss is not finite at epoch " + std::to_string(epoch)}});
      return 3;
    }
    nlohmann::json fields = comm_fields(last.comm);
    fields.update({{"epoch", epoch},
                   {"train_loss", last.train_loss},
                   {"test_loss", last.test_loss},
                   {"test_accuracy", last.test_accuracy},
                   {"epoch_time_s", last.epoch_time_s}});
    events.emit("epoch", fields);
  }

  train::InferenceTiming timing;
  std::map<std::string, double> metrics = last.test_metrics;
  if (comm.rank() == 0 || assembled.model->collective()) {
    timing = trainer.time_inference(256, 200);
    metrics.merge(model_metrics(assembled, trainer));
  }
  comm.barrier();
  nlohmann::json summary = comm_fields(total);
  summary.update({{"train_loss", last.train_loss},
                  {"test_loss", last.test_loss},
                  {"test_accuracy", last.test_accuracy},
                  {"train_time_s", train_time},
                  {"inference_time_s", timing.inference_time_s},
                  {"latency_ms", timing.latency_ms},
                  {"params", params},
                  {"flops", flops}});
  if (assembled.early_exit)  // what its samples used on average, the no-exit figure in metrics
    summary["flops"] = static_cast<int64_t>(std::llround(metrics.at("mean_inference_flops")));
  if (!metrics.empty()) summary["metrics"] = metrics;
  for (const auto& [name, value] : strategy->run_metrics()) summary[name] = value;
  events.emit("run_finished", summary);
  return 0;
}

}  // namespace iddl::runners
