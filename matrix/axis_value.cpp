#include "matrix/axis_value.hpp"

#include <stdexcept>

#include "matrix/run_key.hpp"

namespace iddl::matrix {
namespace {

std::string scalar_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

std::string axis_method(const nlohmann::json& axis_value) {
  if (axis_value.is_string()) return axis_value.get<std::string>();
  if (axis_value.is_object() && axis_value.contains("method") && axis_value["method"].is_string())
    return axis_value["method"].get<std::string>();
  throw std::invalid_argument("not an axis value: " + axis_value.dump());
}

std::string axis_label(const nlohmann::json& axis_value) {
  std::string label = axis_method(axis_value);
  if (!axis_value.is_object()) return label;
  std::string params;
  for (const auto& [name, value] : axis_value.items()) {  // nlohmann objects iterate in name order
    if (name == "method") continue;
    params += (params.empty() ? "" : ", ") + name + "=" + scalar_text(value);
  }
  return params.empty() ? label : label + "(" + params + ")";
}

std::string setting_label(const std::string& setting, const nlohmann::json& value) {
  const bool axis_object = value.is_object() && value.contains("method") && value["method"].is_string();
  if (!axis_object) return value.is_object() ? axis_label(value) : scalar_text(value);
  const nlohmann::json defining = defining_settings(nlohmann::json{{setting, value}});
  const auto found = defining.find(setting);
  if (found != defining.end() && found->is_object()) return axis_label(*found);
  return value["method"].get<std::string>();  // the axis default itself
}

}  // namespace iddl::matrix
