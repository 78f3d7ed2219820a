#include "matrix/axis_value.hpp"

#include <stdexcept>

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

}  // namespace iddl::matrix
