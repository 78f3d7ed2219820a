#pragma once
#include <map>
#include <memory>
#include <string>

#include "core/comm/communicator.hpp"
#include "core/compress/compressed_averager.hpp"
#include "core/parallel/gradient_buckets.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::parallel {

// `parallelism = "sync"` (parallel SGD): every step, the gradients of all ranks are averaged,
// weighted by each rank's share of the global batch, in allreduces of gradient buckets that start
// while backward runs (GradientBuckets, over flat parameters the trainer updates in one pass, whose gradients live
// in shared memory when all ranks are on one machine), or through a compressor (docs/compression.md) when one is
// given.
class SyncStrategy : public train::TrainingHooks {
 public:
  // `averager` null: dense allreduces of buckets of at most `bucket_bytes` (0: one parameter each).
  explicit SyncStrategy(comm::Communicator& comm, std::unique_ptr<compress::CompressedAverager> averager = nullptr,
                        int64_t bucket_bytes = kDefaultBucketBytes)
      : comm_(comm), averager_(std::move(averager)), bucket_bytes_(bucket_bytes) {}

  // The bucket size runs use (docs/strategies.md, "sync's gradient buckets").
  static constexpr int64_t kDefaultBucketBytes = int64_t{64} << 10;

  // Copies rank 0's weights and buffers to every rank; without a compressor, puts the gradients in buckets.
  void on_start(torch::nn::Module& model) override;
  void before_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) override;
  void after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) override;
  // {"compression_ratio": wire bytes / dense bytes} with a compressor.
  std::map<std::string, double> run_metrics() const override;
  // The compressor's state (error-feedback residuals, bytes counted, random generator, PowerSGD's factors).
  std::optional<train::StrategyState> checkpoint_state() const override;
  void restore_state(const train::StrategyState& state) override;
  // Without a compressor, the parameters and gradients as views into flat buffers (after on_start).
  train::FlatParameters* flat_parameters() override { return flat_.get(); }

 private:
  comm::Communicator& comm_;
  std::unique_ptr<compress::CompressedAverager> averager_;
  int64_t bucket_bytes_;
  std::unique_ptr<comm::SharedSum> shared_;  // flat_'s gradient memory, where the ranks share a machine
  std::unique_ptr<train::FlatParameters> flat_;
  std::unique_ptr<GradientBuckets> buckets_;  // over flat_
};

}  // namespace iddl::parallel
