#pragma once
#include <chrono>
#include <cstdint>

#include "core/comm/communicator.hpp"
#include "matrix/checkpoint_policy.hpp"

namespace iddl::runners {

// When a run saves a checkpoint (docs/checkpoints.md): every N epochs, or with checkpoint_every = "auto" after an
// epoch once checkpoint_interval_s have passed since the schedule began or its last checkpoint, by rank 0's clock.
class CheckpointSchedule {
 public:
  // Starts the interval now.
  CheckpointSchedule(const matrix::CheckpointPolicy& policy, comm::Communicator& comm);

  // Whether to save a checkpoint after `epoch`, the same answer on every rank (collective under "auto"); a yes
  // starts the interval again.
  bool due(int64_t epoch);

 private:
  matrix::CheckpointPolicy policy_;
  comm::Communicator& comm_;
  std::chrono::steady_clock::time_point since_;
};

}  // namespace iddl::runners
