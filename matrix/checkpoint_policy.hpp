#pragma once
#include <cstdint>

#include <nlohmann/json.hpp>

namespace iddl::matrix {

// When a run saves checkpoints (docs/checkpoints.md): checkpoint_every and checkpoint_interval_s of its config.
struct CheckpointPolicy {
  int64_t every = 0;        // an integer checkpoint_every: every N epochs, 0 never
  bool automatic = false;   // checkpoint_every = "auto": at the end of an epoch once interval_s have passed
  double interval_s = 300;  // checkpoint_interval_s
  // Whether the run may save a checkpoint (it needs a checkpoint folder).
  bool enabled() const { return automatic || every > 0; }
};

// The checkpoint policy of a resolved config.
CheckpointPolicy checkpoint_policy(const nlohmann::json& config);

}  // namespace iddl::matrix
