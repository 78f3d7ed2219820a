#include "matrix/checkpoint_policy.hpp"

#include <fmt/format.h>

#include "matrix/axis_value.hpp"

namespace iddl::matrix {

CheckpointPolicy checkpoint_policy(const nlohmann::json& config) {
  CheckpointPolicy policy;
  const nlohmann::json& every = config.at("checkpoint_every");
  policy.automatic = every.is_string();  // the one word an integer setting of choices "auto" takes
  policy.every = policy.automatic ? 0 : every.get<int64_t>();
  policy.interval_s = config.at("checkpoint_interval_s").get<double>();
  return policy;
}

std::string checkpoint_refusal(const nlohmann::json& config) {
  const std::string parallelism = axis_method(config.at("parallelism"));
  const std::string vertical = axis_method(config.at("vertical"));
  if (parallelism == "pipeline" || vertical == "adaboost")
    return fmt::format("parallelism = \"{}\" with vertical = \"{}\" cannot be checkpointed: checkpoints cover every "
                       "parallelism but pipeline and every vertical split but adaboost (docs/checkpoints.md)",
                       parallelism, vertical);
  return "";
}

}  // namespace iddl::matrix
