#include "runners/train/checkpoint_schedule.hpp"

#include "core/comm/stopwatch.hpp"

namespace iddl::runners {

CheckpointSchedule::CheckpointSchedule(const matrix::CheckpointPolicy& policy, comm::Communicator& comm)
    : policy_(policy), comm_(comm), since_(std::chrono::steady_clock::now()) {}

bool CheckpointSchedule::due(int64_t epoch) {
  if (!policy_.automatic) return policy_.every > 0 && epoch % policy_.every == 0;
  const bool elapsed = comm_.rank() == 0 && comm::seconds_since(since_) >= policy_.interval_s;
  torch::Tensor decision = torch::tensor({elapsed ? 1 : 0}, torch::kInt32);
  comm_.broadcast(decision, 0, comm::Traffic::Bookkeeping);  // rank 0's clock decides for every rank
  if (decision.item<int32_t>() == 0) return false;
  since_ = std::chrono::steady_clock::now();
  return true;
}

}  // namespace iddl::runners
