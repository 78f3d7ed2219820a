#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "core/comm/comm_stats.hpp"
#include "core/train/epoch_driver.hpp"
#include "runners/train/event_writer.hpp"
#include "runners/train/run_spec.hpp"
#include "runners/train/run_training.hpp"

namespace iddl::runners {

// The device a run trains on by hardware::uses_cuda with the GPUs LibTorch sees; on CUDA the visible GPU of index
// local rank (modulo their count without NCCL), made the current CUDA device, with cuDNN's benchmark mode as the
// setting cudnn_benchmark says. Throws std::invalid_argument for
// "cuda" without a CUDA LibTorch or GPU, and with NCCL for a local rank without a GPU of its own.
torch::Device run_device(const nlohmann::json& config);

// The intra-op threads of this rank: the launcher's choice, else the run's setting, else cores / ranks.
int run_threads(const nlohmann::json& config, const RunEnvironment& environment, int world_size);

// The communication fields of an epoch or run event: bytes sent and received, seconds, bandwidth.
nlohmann::json comm_fields(const comm::CommStats& stats);

// The run_started event's fields: the run, its resolved config, the process's facts, params and FLOPs.
nlohmann::json run_started_fields(const RunSpec& spec, const RunEnvironment& environment, int world_size,
                                  const torch::Device& device, int threads, int64_t params, int64_t flops);

// The epoch event's fields of one epoch's result.
nlohmann::json epoch_fields(const train::EpochResult& result);

// What a run's epochs added up to: training traffic and time, the last epoch, and whether every
// epoch's training loss was finite.
struct EpochTotals {
  comm::CommStats comm;
  double train_time_s = 0.0;
  train::EpochResult last;
  bool finite = true;
};

// Runs epochs after `so_far.last.epoch` (a resumed run's; 0 for a new one) up to `epochs` with `driver`, adding
// to `so_far` and emitting an epoch event for each, then calling `after_epoch` with the totals; at the first
// non-finite training loss emits an error event and stops (finite = false).
EpochTotals run_epochs(int64_t epochs, train::EpochDriver& driver, EventWriter& events, EpochTotals so_far = {},
                       const std::function<void(const EpochTotals&)>& after_epoch = {});

// The run_finished event's fields (without "metrics"): the totals, the last epoch's losses and
// accuracy, inference timing, params and FLOPs.
nlohmann::json run_finished_fields(const EpochTotals& totals, const train::InferenceTiming& timing, int64_t params,
                                   int64_t flops);

// Training samples per second: `samples` per epoch over `epochs` epochs in `train_time_s` seconds.
double samples_per_second(int64_t samples, int64_t epochs, double train_time_s);

}  // namespace iddl::runners
