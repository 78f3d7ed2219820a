#include "runners/run_training.hpp"

#include <cmath>
#include <stdexcept>

#include "core/train/trainer.hpp"
#include "hardware/thread_budget.hpp"
#include "runners/strategy_factory.hpp"

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
  torch::manual_seed(options.seed);
  models::Model model = models::make_model(model_options(config), model_shape(dataset.shape));
  const int64_t params = models::count_parameters(*model);
  const int64_t flops = models::count_flops(*model, model_shape(dataset.shape));
  auto strategy = make_strategy(config.at("parallelism"), options, comm);

  events.emit("run_started", {{"run_key", spec.run_key},
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
                              {"flops", flops}});

  train::Trainer trainer(model, dataset, options, device, &comm, *strategy);
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
  if (comm.rank() == 0) timing = trainer.time_inference(256, 200);
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
  for (const auto& [name, value] : strategy->run_metrics()) summary[name] = value;
  events.emit("run_finished", summary);
  return 0;
}

}  // namespace iddl::runners
