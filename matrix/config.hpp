#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace iddl::matrix {

// A config that cannot be resolved.
struct ConfigError : std::runtime_error {
  ConfigError(const std::string& message, std::vector<std::string> settings = {});
  std::vector<std::string> settings;  // the settings the error is about, the one to blame first
};

// The full config: `partial` checked (keys, values, cross-setting rules) with defaults filled in
// and every value normalized (see normalized_value). Throws ConfigError.
nlohmann::json resolve_config(const nlohmann::json& partial);

}  // namespace iddl::matrix
