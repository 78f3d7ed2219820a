#include "core/compress/compression_options.hpp"

#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

namespace iddl::compress {
namespace {

// The parameters each method accepts besides "method" (granularity and error_feedback are common to all).
const std::map<std::string, std::set<std::string>>& method_parameters() {
  static const std::map<std::string, std::set<std::string>> parameters = {
      {"none", {}},
      {"topk", {"granularity", "error_feedback", "ratio"}},
      {"randomk", {"granularity", "error_feedback", "ratio", "scaled"}},
      {"threshold", {"granularity", "error_feedback", "v"}},
      {"terngrad", {"granularity", "error_feedback"}},
      {"qsgd", {"granularity", "error_feedback", "levels"}},
      {"fp16", {"granularity", "error_feedback"}},
      {"signsgd", {"granularity", "error_feedback"}},
      {"powersgd", {"granularity", "error_feedback", "rank", "warm_start"}},
  };
  return parameters;
}

[[noreturn]] void bad(const std::string& method, const std::string& parameter, const std::string& why) {
  throw std::invalid_argument("compression " + method + ": parameter '" + parameter + "' " + why);
}

bool read_bool(const nlohmann::json& value, const std::string& method, const std::string& name) {
  if (!value.is_boolean()) bad(method, name, "must be true or false, got " + value.dump());
  return value.get<bool>();
}

double read_number(const nlohmann::json& value, const std::string& method, const std::string& name) {
  if (!value.is_number()) bad(method, name, "must be a number, got " + value.dump());
  const double number = value.get<double>();
  if (!std::isfinite(number)) bad(method, name, "must be finite, got " + value.dump());
  return number;
}

int read_integer(const nlohmann::json& value, const std::string& method, const std::string& name, int low, int high) {
  if (!value.is_number_integer()) bad(method, name, "must be an integer, got " + value.dump());
  const int64_t number = value.get<int64_t>();
  if (number < low || number > high)
    bad(method, name, "must be in [" + std::to_string(low) + ", " + std::to_string(high) + "], got " + value.dump());
  return static_cast<int>(number);
}

}  // namespace

CompressionOptions parse_compression(const nlohmann::json& value) {
  CompressionOptions options;
  if (value.is_string()) {
    options.method = value.get<std::string>();
  } else if (value.is_object() && value.contains("method") && value.at("method").is_string()) {
    options.method = value.at("method").get<std::string>();
  } else {
    throw std::invalid_argument("compression: expected a method name or an object with a string 'method', got " +
                                value.dump());
  }
  const auto known = method_parameters().find(options.method);
  if (known == method_parameters().end())
    throw std::invalid_argument("compression: unknown method '" + options.method +
                                "' (none, topk, randomk, threshold, terngrad, qsgd, fp16, signsgd, powersgd)");
  const std::string& method = options.method;
  options.error_feedback = method == "signsgd" || method == "powersgd";
  if (!value.is_object()) return options;

  for (const auto& [name, parameter] : value.items()) {
    if (name == "method") continue;
    if (known->second.count(name) == 0) bad(method, name, "is not a parameter of this method");
    if (name == "granularity") {
      if (!parameter.is_string() || (parameter != "layerwise" && parameter != "model"))
        bad(method, name, "must be \"layerwise\" or \"model\", got " + parameter.dump());
      options.granularity = parameter.get<std::string>();
    } else if (name == "error_feedback") {
      options.error_feedback = read_bool(parameter, method, name);
    } else if (name == "ratio") {
      options.ratio = read_number(parameter, method, name);
      if (options.ratio <= 0.0 || options.ratio > 1.0) bad(method, name, "must be in (0, 1], got " + parameter.dump());
    } else if (name == "scaled") {
      options.scaled = read_bool(parameter, method, name);
    } else if (name == "v") {
      options.v = read_number(parameter, method, name);
      if (options.v < 0.0) bad(method, name, "must be >= 0, got " + parameter.dump());
    } else if (name == "levels") {
      options.levels = read_integer(parameter, method, name, 2, 1 << 16);
    } else if (name == "rank") {
      options.rank = read_integer(parameter, method, name, 1, 1 << 16);
    } else if (name == "warm_start") {
      options.warm_start = read_bool(parameter, method, name);
    }
  }
  return options;
}

}  // namespace iddl::compress
