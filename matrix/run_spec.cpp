#include "matrix/run_spec.hpp"

#include <limits>
#include <stdexcept>

#include "matrix/config.hpp"
#include "matrix/json_text.hpp"
#include "matrix/run_key.hpp"
#include "matrix/settings.hpp"

namespace iddl::matrix {
namespace {

// The field `name` of the spec when present, else `fallback`; throws naming the field when its type is wrong.
template <typename T>
T optional_field(const nlohmann::json& spec, const char* name, T fallback, bool (nlohmann::json::*is_type)() const,
                 const char* expected) {
  const auto found = spec.find(name);
  if (found == spec.end()) return fallback;
  if (!((*found).*is_type)())
    throw std::invalid_argument(std::string("run spec field \"") + name + "\" must be " + expected + ", got " +
                                found->dump());
  return found->get<T>();
}

}  // namespace

RunSpec parse_run_spec(std::string_view json_text) {
  nlohmann::json document;
  try {
    document = parse_json(json_text);
  } catch (const JsonTextError& e) {
    throw std::invalid_argument(std::string("run spec: ") + e.what());
  }
  if (!document.is_object() || !document.contains("config") || !document["config"].is_object())
    throw std::invalid_argument("run spec must be a JSON object with a \"config\" object");
  RunSpec spec;
  spec.sweep = optional_field<std::string>(document, "sweep", "", &nlohmann::json::is_string, "a string");
  const auto repeat = optional_field<int64_t>(document, "repeat", 0, &nlohmann::json::is_number_integer, "an integer");
  if (repeat < 0 || repeat > std::numeric_limits<int>::max())
    throw std::invalid_argument("run spec field \"repeat\" must be an integer >= 0 that fits an int, got " +
                                std::to_string(repeat));
  spec.repeat = static_cast<int>(repeat);
  try {
    spec.config = resolve_config(document["config"]);
  } catch (const ConfigError& e) {
    throw std::invalid_argument(std::string("run spec config: ") + e.what());
  }
  spec.checkpoint_dir = optional_field<std::string>(document, "checkpoint_dir", "", &nlohmann::json::is_string,
                                                    "a string");
  spec.model_dir = optional_field<std::string>(document, "model_dir", "", &nlohmann::json::is_string, "a string");
  spec.run_key = document.contains("run_key")
                     ? optional_field<std::string>(document, "run_key", "", &nlohmann::json::is_string, "a string")
                     : run_key(spec.config);
  return spec;
}

}  // namespace iddl::matrix
