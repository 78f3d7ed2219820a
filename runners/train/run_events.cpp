#include "runners/train/run_events.hpp"

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include <c10/core/impl/DeviceGuardImplInterface.h>

#include "hardware/device_rule.hpp"
#include "hardware/software_info.hpp"
#include "hardware/thread_budget.hpp"
#include "results/fields.hpp"

namespace iddl::runners {

namespace {

namespace field = results::field;

// This process's rank among the run's ranks on its host, as Open MPI, Slurm or MPICH tell it (0 alone).
int local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}

}  // namespace

torch::Device run_device(const nlohmann::json& config) {
  hardware::DeviceFacts facts;
  facts.visible_gpus = torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  facts.torch_has_cuda = hardware::torch_has_cuda();
  facts.nccl = hardware::nccl_version() != "none";
  if (!hardware::uses_cuda(config.at("device").get<std::string>(), facts)) return torch::Device(torch::kCPU);
  // The ranks on a host take its visible GPUs in turn, one each with NCCL.
  const int rank = local_rank();
  hardware::require_gpu_per_rank(rank + 1, facts);
  const torch::Device device(torch::kCUDA, static_cast<c10::DeviceIndex>(rank % facts.visible_gpus));
  c10::impl::getDeviceGuardImpl(device.type())->setDevice(device);  // the current device of NCCL and every kernel
  at::globalContext().setBenchmarkCuDNN(config.at("cudnn_benchmark").get<bool>());
  return device;
}

int run_threads(const nlohmann::json& config, const RunEnvironment& environment, int world_size) {
  return environment.threads > 0
             ? environment.threads
             : hardware::threads_per_rank(config.at("threads").get<int>(), world_size, environment.cores);
}

nlohmann::json comm_fields(const comm::CommStats& stats) {
  return {{field::bytes_sent, stats.bytes_sent},
          {field::bytes_received, stats.bytes_received},
          {field::comm_time_s, stats.seconds},
          {field::bandwidth_Bps, stats.bandwidth_Bps()},
          {field::comm_total_time_s, stats.total_seconds}};
}

nlohmann::json run_started_fields(const RunSpec& spec, const RunEnvironment& environment, int world_size,
                                  const torch::Device& device, int threads, int64_t params, int64_t flops) {
  nlohmann::json started = {{field::run_key, spec.run_key},
                            {field::sweep, spec.sweep},
                            {field::repeat, spec.repeat},
                            {field::config, spec.config},
                            {field::world_size, world_size},
                            {field::host, environment.host},
                            {field::cpu_model, environment.cpu_model},
                            {field::cpu_cores, environment.cores},
                            {field::iddl_commit, environment.iddl_commit},
                            {field::compiler, environment.compiler},
                            {field::device, device.str()},
                            {field::threads, threads},
                            {field::blas_library, environment.blas_library},
                            {field::blas_kernel, environment.blas_kernel},
                            {field::torch_version, TORCH_VERSION},
                            {field::mpi_version, environment.mpi_version},
                            {field::params, params},
                            {field::flops, flops},
                            {field::cpu_sockets, environment.cpu_sockets},
                            {field::memory_bytes, environment.memory_bytes},
                            {field::gpu_count, environment.gpu_count},
                            {field::nccl_version, environment.nccl_version}};
  if (environment.gpu_count > 0) started[field::gpu_memory_bytes] = environment.gpu_memory_bytes;
  for (const auto& [name, value] : {std::pair<const char*, const std::string&>{field::gpu_name, environment.gpu_name},
                                    {field::gpu_driver, environment.gpu_driver},
                                    {field::cuda_version, environment.cuda_version},
                                    {field::gpu_topology, environment.gpu_topology}})
    if (!value.empty()) started[name] = value;  // a machine without GPUs leaves them NULL
  return started;
}

nlohmann::json epoch_fields(const train::EpochResult& result) {
  nlohmann::json fields = comm_fields(result.comm);
  fields.update({{field::epoch, result.epoch},
                 {field::train_loss, result.train_loss},
                 {field::test_loss, result.test_loss},
                 {field::test_accuracy, result.test_accuracy},
                 {field::epoch_time_s, result.epoch_time_s}});
  return fields;
}

EpochTotals run_epochs(int64_t epochs, train::EpochDriver& driver, EventWriter& events, EpochTotals so_far,
                       const std::function<void(const EpochTotals&)>& after_epoch) {
  EpochTotals totals = std::move(so_far);
  for (int64_t epoch = totals.last.epoch + 1; epoch <= epochs; ++epoch) {
    totals.last = driver.run_epoch(epoch);
    totals.comm += totals.last.comm;
    totals.train_time_s += totals.last.epoch_time_s;
    if (!std::isfinite(totals.last.train_loss)) {
      events.emit(results::kError, {{field::message, "train loss is not finite at epoch " + std::to_string(epoch)}});
      totals.finite = false;
      return totals;
    }
    events.emit(results::kEpoch, epoch_fields(totals.last));
    if (after_epoch) after_epoch(totals);
  }
  return totals;
}

nlohmann::json run_finished_fields(const EpochTotals& totals, const train::InferenceTiming& timing, int64_t params,
                                   int64_t flops) {
  nlohmann::json summary = comm_fields(totals.comm);
  summary.update({{field::train_loss, totals.last.train_loss},
                  {field::test_loss, totals.last.test_loss},
                  {field::test_accuracy, totals.last.test_accuracy},
                  {field::train_time_s, totals.train_time_s},
                  {field::inference_time_s, timing.inference_time_s},
                  {field::latency_ms, timing.latency_ms},
                  {field::params, params},
                  {field::flops, flops}});
  return summary;
}

double samples_per_second(int64_t samples, int64_t epochs, double train_time_s) {
  return train_time_s > 0.0 ? static_cast<double>(samples * epochs) / train_time_s : 0.0;
}

}  // namespace iddl::runners
