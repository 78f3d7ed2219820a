#pragma once
#include <map>
#include <memory>
#include <string>

#include "core/comm/communicator.hpp"
#include "core/compress/compressed_averager.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::parallel {

// `parallelism = "sync"` (parallel SGD): every step, the gradients of all ranks are averaged,
// weighted by each rank's share of the global batch, in one allreduce of a flattened buffer, or
// through a compressor (docs/compression.md) when one is given.
class SyncStrategy : public train::TrainingHooks {
 public:
  // `averager` null: dense allreduce.
  explicit SyncStrategy(comm::Communicator& comm, std::unique_ptr<compress::CompressedAverager> averager = nullptr)
      : comm_(comm), averager_(std::move(averager)) {}

  // Copies rank 0's weights and buffers to every rank.
  void on_start(torch::nn::Module& model) override;
  void after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) override;
  // {"compression_ratio": wire bytes / dense bytes} with a compressor.
  std::map<std::string, double> run_metrics() const override;
  // The compressor's state (error-feedback residuals, bytes counted, random generator, PowerSGD's factors).
  std::optional<train::StrategyState> checkpoint_state() const override;
  void restore_state(const train::StrategyState& state) override;

 private:
  comm::Communicator& comm_;
  std::unique_ptr<compress::CompressedAverager> averager_;
};

}  // namespace iddl::parallel
