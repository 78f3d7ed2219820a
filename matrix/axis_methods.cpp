#include "matrix/axis_methods.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace iddl::matrix {
namespace {

using nlohmann::json;

std::vector<std::string> method_names(std::string_view axis) {
  std::vector<std::string> names;
  for (const auto& m : axis_methods(axis)) names.push_back(m.name);
  return names;
}

std::vector<std::string> param_names(const AxisMethod& method) {
  std::vector<std::string> names;
  for (const auto& p : method.params) names.push_back(p.name);
  return names;
}

}  // namespace

std::string check_method_name(const Setting& axis, const json& name) {
  if (!name.is_string()) return fmt::format("{} method = {} is not a string", axis.name, value_text(name));
  const auto& text = name.get_ref<const std::string&>();
  if (find_axis_method(axis.name, text) != nullptr) return "";
  const std::vector<std::string> known = method_names(axis.name);
  const std::string suggestion = closest_name(text, known);
  return fmt::format("unknown {} method '{}' ({})", axis.name, text,
                     suggestion.empty() ? fmt::format("methods: {}", fmt::join(known, ", "))
                                        : "did you mean '" + suggestion + "'?");
}

std::string missing_method_message(const Setting& axis, const json& table) {
  return fmt::format("{} = {} has no method; write e.g. {{method = \"{}\"}} (to set other settings together "
                     "with this axis, use [[zip]])",
                     axis.name, value_text(table), axis.default_value.get<std::string>());
}

std::string unknown_param_message(const AxisMethod& method, std::string_view name) {
  const std::vector<std::string> known = param_names(method);
  const std::string suggestion = closest_name(name, known);
  const std::string hint = known.empty()       ? "it has no parameters"
                           : suggestion.empty() ? fmt::format("its parameters: {}", fmt::join(known, ", "))
                                                : "did you mean '" + suggestion + "'?";
  return fmt::format("'{}' takes no parameter '{}' ({})", method.name, name, hint);
}

std::string check_param_value(const AxisMethod& method, const Setting& param, const json& value) {
  const std::string problem = check_value(param, value);
  return problem.empty() ? "" : fmt::format("'{}': {}", method.name, problem);
}

std::string check_method_params(const AxisMethod& method, const json& table) {
  for (const auto& [name, value] : table.items()) {
    if (name == "method") continue;
    const Setting* param = find_method_param(method, name);
    if (param == nullptr) return unknown_param_message(method, name);
    if (std::string problem = check_param_value(method, *param, value); !problem.empty()) return problem;
  }
  return "";
}

std::string check_axis_value(const Setting& axis, const json& v) {
  if (v.is_string()) return check_method_name(axis, v);
  if (!v.is_object())
    return fmt::format("{} = {} is not a method name or a {{method = ...}} table", axis.name, value_text(v));
  if (!v.contains("method")) return missing_method_message(axis, v);
  if (std::string problem = check_method_name(axis, v["method"]); !problem.empty()) return problem;
  return check_method_params(*find_axis_method(axis.name, v["method"].get<std::string>()), v);
}

json method_value(const AxisMethod& method, const json& value) {
  json out = {{"method", method.name}};
  for (const auto& p : method.params) {
    const bool given = value.is_object() && value.contains(p.name);
    out[p.name] = normalized_value(p, given ? value[p.name] : p.default_value);
  }
  return out;
}

}  // namespace iddl::matrix
