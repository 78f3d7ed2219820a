#pragma once
#include "core/comm/communicator.hpp"
#include "core/train/training_hooks.hpp"

namespace iddl::runners {

// `parallelism = "sync"` (parallel SGD): every step, the gradients of all ranks are averaged,
// weighted by each rank's share of the global batch, in one allreduce of a flattened buffer.
class SyncStrategy : public train::TrainingHooks {
 public:
  explicit SyncStrategy(comm::Communicator& comm) : comm_(comm) {}

  // Copies rank 0's weights and buffers to every rank.
  void on_start(torch::nn::Module& model) override;
  void after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) override;

 private:
  comm::Communicator& comm_;
};

}  // namespace iddl::runners
