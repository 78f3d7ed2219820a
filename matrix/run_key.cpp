#include "matrix/run_key.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "matrix/axis_methods.hpp"
#include "matrix/setting_values.hpp"
#include "matrix/settings.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

std::uint64_t fnv1a_64(const std::string& bytes) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 1099511628211ULL;
  }
  return hash;
}

// An axis value that differs from the axis default: its method and the parameters off their defaults.
json defining_axis_value(const Setting& axis, const json& value) {
  const json& method_name = value["method"];
  const AxisMethod* method = find_axis_method(axis.name, method_name.get<std::string>());
  json out = json::object({{"method", method_name}});
  for (const auto& [name, param_value] : value.items()) {
    if (name == "method") continue;
    const Setting* param = method == nullptr ? nullptr : find_method_param(*method, name);
    if (param != nullptr && check_value(*param, param_value).empty() &&
        normalized_value(*param, param_value) == normalized_value(*param, param->default_value))
      continue;
    out[name] = param_value;
  }
  return out;
}

}  // namespace

json defining_settings(const json& config) {
  json defining = json::object();
  if (!config.is_object()) return config;
  for (const auto& [name, value] : config.items()) {
    const Setting* s = find_setting(name);
    if (s != nullptr && s->kind == Kind::Axis && value.is_object() && value.contains("method") &&
        value["method"].is_string() && !check_value(*s, value).empty()) {
      defining[name] = defining_axis_value(*s, value);  // a parameter no longer known: the rest still compared
      continue;
    }
    if (s == nullptr || !check_value(*s, value).empty()) {
      defining[name] = value;  // not (or no longer) a valid setting: kept as recorded
      continue;
    }
    const json normalized = normalized_value(*s, value);
    if (normalized == normalized_value(*s, s->default_value)) continue;
    defining[name] = s->kind == Kind::Axis ? defining_axis_value(*s, normalized) : normalized;
  }
  return defining;
}

std::string run_key(const json& config) {
  json defining = defining_settings(config);
  for (const Setting& s : settings())
    if (!s.in_run_key) defining.erase(s.name);
  return fmt::format("{:016x}", fnv1a_64(fmt::format("iddl-run-key/{} {}", kRunKeyVersion, defining.dump())));
}

}  // namespace iddl::matrix
