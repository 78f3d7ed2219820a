#include "matrix/checkpoint_policy.hpp"

namespace iddl::matrix {

CheckpointPolicy checkpoint_policy(const nlohmann::json& config) {
  CheckpointPolicy policy;
  const nlohmann::json& every = config.at("checkpoint_every");
  policy.automatic = every.is_string();  // the one word an integer setting of choices "auto" takes
  policy.every = policy.automatic ? 0 : every.get<int64_t>();
  policy.interval_s = config.at("checkpoint_interval_s").get<double>();
  return policy;
}

}  // namespace iddl::matrix
