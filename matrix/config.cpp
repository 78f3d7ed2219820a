#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "matrix/axis_methods.hpp"
#include "matrix/axis_value.hpp"
#include "matrix/settings.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

std::string float_text(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return json(x).dump();
}

std::string with_article(Kind kind) {
  const std::string name = kind_name(kind);
  return (kind == Kind::Int ? "an " : "a ") + name;
}

// "must be >= 0 and < 1" for the range of `s`.
std::string range_text(const Setting& s) {
  std::vector<std::string> bounds;
  if (s.min) bounds.push_back(fmt::format("{} {}", s.min_exclusive ? ">" : ">=", *s.min));
  if (s.max) bounds.push_back(fmt::format("{} {}", s.max_exclusive ? "<" : "<=", *s.max));
  return fmt::format("must be {}", fmt::join(bounds, " and "));
}

bool in_range(const Setting& s, double x) {
  if (s.min && (s.min_exclusive ? x <= *s.min : x < *s.min)) return false;
  if (s.max && (s.max_exclusive ? x >= *s.max : x > *s.max)) return false;
  return true;
}

bool fits_int64(const json& v) {
  return v.is_number_integer() &&
         !(v.is_number_unsigned() && v.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max());
}

std::string type_error(const Setting& s, const json& v) {
  return fmt::format("{} = {} is not {}", s.name, value_text(v), with_article(s.kind));
}

std::string range_error(const Setting& s, const json& v) {
  return fmt::format("{} = {} is out of range: {}", s.name, value_text(v), range_text(s));
}

std::string check_string(const Setting& s, const json& v) {
  if (!v.is_string()) return type_error(s, v);
  const auto& text = v.get_ref<const std::string&>();
  if (s.choices.empty() || std::find(s.choices.begin(), s.choices.end(), text) != s.choices.end()) return "";
  std::string message = fmt::format("{} = {} is not one of {}", s.name, value_text(v), fmt::join(s.choices, ", "));
  const std::string suggestion = closest_name(text, s.choices);
  if (!suggestion.empty()) message += fmt::format(" (did you mean \"{}\"?)", suggestion);
  return message;
}

std::string check_int(const Setting& s, const json& v) {
  if (v.is_number_float() && std::isfinite(v.get<double>()) && v.get<double>() == std::floor(v.get<double>()))
    return fmt::format("{} (write {:.0f})", type_error(s, v), v.get<double>());
  if (!v.is_number_integer()) return type_error(s, v);
  if (!fits_int64(v)) return fmt::format("{} = {} is out of range: must fit in 64 bits", s.name, value_text(v));
  return in_range(s, static_cast<double>(v.get<std::int64_t>())) ? "" : range_error(s, v);
}

std::string check_float(const Setting& s, const json& v) {
  if (!v.is_number()) return type_error(s, v);
  const double x = v.get<double>();
  if (!std::isfinite(x)) return fmt::format("{} = {} is not a finite number", s.name, value_text(v));
  return in_range(s, x) ? "" : range_error(s, v);
}

std::string check_bool(const Setting& s, const json& v) {
  return v.is_boolean() ? "" : fmt::format("{} = {} is not true or false", s.name, value_text(v));
}

std::string check_int_list(const Setting& s, const json& v) {
  if (!v.is_array()) return type_error(s, v);
  for (const auto& element : v)
    if (!fits_int64(element)) return type_error(s, v);
  for (const auto& element : v)
    if (!in_range(s, static_cast<double>(element.get<std::int64_t>())))
      return fmt::format("{} = {} is out of range: every element {}, got {}", s.name, value_text(v),
                         range_text(s), value_text(element));
  return "";
}

void check_parallelism_ranks(const json& c) {
  if (axis_method(c["parallelism"]) == "single" && c["ranks"] != 1 && axis_method(c["vertical"]) == "none")
    throw ConfigError(fmt::format("parallelism = \"single\" runs one process but ranks = {}; "
                                  "use ranks = 1 or parallelism = \"sync\"",
                                  value_text(c["ranks"])),
                      {"parallelism", "ranks"});
}

// A vertical split spreads one model over the ranks: no data parallelism on top, no early exits.
void check_vertical(const json& c) {
  const std::string vertical = axis_method(c["vertical"]);
  if (vertical == "none") return;
  if (axis_method(c["parallelism"]) != "single")
    throw ConfigError(fmt::format("vertical = \"{}\" spreads one model over the ranks and needs "
                                  "parallelism = \"single\", got parallelism = {}",
                                  vertical, value_text(c["parallelism"])),
                      {"vertical", "parallelism"});
  if (axis_method(c["horizontal"]) != "none")
    throw ConfigError(fmt::format("vertical = \"{}\" cannot be combined with horizontal = {}", vertical,
                                  value_text(c["horizontal"])),
                      {"vertical", "horizontal"});
}

// A compressor encodes what a strategy exchanges: the gradients of sync, the weight changes of param_avg.
void check_compression(const json& c) {
  const std::string compression = axis_method(c["compression"]), parallelism = axis_method(c["parallelism"]);
  if (compression != "none" && parallelism != "sync" && parallelism != "param_avg")
    throw ConfigError(fmt::format("compression = \"{}\" encodes what parallelism \"sync\" or \"param_avg\" "
                                  "exchanges, got parallelism = {}",
                                  compression, value_text(c["parallelism"])),
                      {"compression", "parallelism"});
}

// A pipeline: whole pipelines on the ranks, a batch that makes its micro-batches, an explicit split of
// one group per stage, a sortquant code with room for its bucket index; no early exits.
void check_pipeline(const json& c) {
  const json& p = c["parallelism"];
  if (axis_method(p) != "pipeline") return;
  const std::int64_t ranks = c["ranks"].get<std::int64_t>();
  const std::int64_t stages = p["stages"].get<std::int64_t>() == 0 ? ranks : p["stages"].get<std::int64_t>();
  if (ranks % stages != 0)
    throw ConfigError(fmt::format("parallelism \"pipeline\" needs ranks a multiple of stages = {}, got ranks = {}",
                                  stages, ranks),
                      {"parallelism", "ranks"});
  if (c["batch_size"].get<std::int64_t>() < p["chunks"].get<std::int64_t>())
    throw ConfigError(fmt::format("parallelism \"pipeline\" needs batch_size >= chunks = {}, got batch_size = {}",
                                  value_text(p["chunks"]), value_text(c["batch_size"])),
                      {"parallelism", "batch_size"});
  const auto& split = p["split"];
  if (!split.empty() && static_cast<std::int64_t>(split.size()) + 1 != stages)
    throw ConfigError(fmt::format("parallelism \"pipeline\": split = {} makes {} groups for {} stages",
                                  value_text(split), split.size() + 1, stages),
                      {"parallelism"});
  for (size_t i = 1; i < split.size(); ++i)
    if (split[i].get<std::int64_t>() <= split[i - 1].get<std::int64_t>())
      throw ConfigError(fmt::format("parallelism \"pipeline\": split = {} is not increasing", value_text(split)),
                        {"parallelism"});
  const std::int64_t bits = p["bits"].get<std::int64_t>(), split_bits = p["split_bits"].get<std::int64_t>();
  if (p["boundary_compression"] == "sortquant" && split_bits >= bits)
    throw ConfigError(fmt::format("parallelism \"pipeline\": sortquant needs split_bits < bits, got split_bits = {} "
                                  "and bits = {}",
                                  split_bits, bits),
                      {"parallelism"});
  if (axis_method(c["horizontal"]) != "none")
    throw ConfigError(fmt::format("parallelism \"pipeline\" cannot be combined with horizontal = {}",
                                  value_text(c["horizontal"])),
                      {"parallelism", "horizontal"});
}

void check_nesterov_momentum(const json& c) {
  if (c["nesterov"] == true && c["momentum"].get<double>() <= 0)
    throw ConfigError(fmt::format("nesterov = true needs momentum > 0, got momentum = {}",
                                  value_text(c["momentum"])),
                      {"nesterov", "momentum"});
}

void check_warmup_epochs(const json& c) {
  if (c["schedule"] == "warmup_linear" && c["warmup_epochs"].get<std::int64_t>() >= c["epochs"].get<std::int64_t>())
    throw ConfigError(fmt::format("schedule = \"warmup_linear\" needs warmup_epochs < epochs, "
                                  "got warmup_epochs = {} and epochs = {}",
                                  value_text(c["warmup_epochs"]), value_text(c["epochs"])),
                      {"warmup_epochs", "epochs", "schedule"});
}

}  // namespace

std::string value_text(const json& value) {
  if (value.is_number_float()) return float_text(value.get<double>());
  if (value.is_array()) {
    std::vector<std::string> parts;
    for (const auto& element : value) parts.push_back(value_text(element));
    return fmt::format("[{}]", fmt::join(parts, ", "));
  }
  if (value.is_object()) {
    std::vector<std::string> parts;
    if (value.contains("method")) parts.push_back("method = " + value_text(value["method"]));
    for (const auto& [key, element] : value.items())
      if (key != "method") parts.push_back(key + " = " + value_text(element));
    return fmt::format("{{{}}}", fmt::join(parts, ", "));
  }
  return value.dump();
}

std::string check_value(const Setting& s, const json& v) {
  switch (s.kind) {
    case Kind::String: return check_string(s, v);
    case Kind::Int: return check_int(s, v);
    case Kind::Float: return check_float(s, v);
    case Kind::Bool: return check_bool(s, v);
    case Kind::IntList: return check_int_list(s, v);
    case Kind::Axis: return check_axis_value(s, v);
  }
  return "unknown kind of setting " + s.name;
}

json normalized_value(const Setting& s, const json& v) {
  switch (s.kind) {
    case Kind::Float: return v.get<double>();
    case Kind::Int: return v.get<std::int64_t>();
    case Kind::IntList: return v.get<std::vector<std::int64_t>>();
    case Kind::Axis: return method_value(*find_axis_method(s.name, axis_method(v)), v);
    case Kind::String:
    case Kind::Bool: return v;
  }
  return v;
}

std::string unknown_setting_message(std::string_view name) {
  const std::string suggestion = closest_name(name, setting_names());
  if (!suggestion.empty()) return fmt::format("unknown setting '{}' (did you mean '{}'?)", name, suggestion);
  return fmt::format("unknown setting '{}' (known settings: {})", name, fmt::join(setting_names(), ", "));
}

ConfigError::ConfigError(const std::string& message, std::vector<std::string> settings)
    : std::runtime_error(message), settings(std::move(settings)) {}

json resolve_config(const json& partial) {
  if (!partial.is_object())
    throw ConfigError("a config must be an object of settings, got " + value_text(partial));
  for (const auto& [name, value] : partial.items()) {
    const Setting* s = find_setting(name);
    if (s == nullptr) throw ConfigError(unknown_setting_message(name), {name});
    if (std::string problem = check_value(*s, value); !problem.empty()) throw ConfigError(problem, {name});
  }
  json resolved = json::object();
  for (const auto& s : settings()) {
    const auto given = partial.find(s.name);
    resolved[s.name] = normalized_value(s, given == partial.end() ? s.default_value : *given);
  }
  check_parallelism_ranks(resolved);
  check_vertical(resolved);
  check_compression(resolved);
  check_pipeline(resolved);
  check_nesterov_momentum(resolved);
  check_warmup_epochs(resolved);
  return resolved;
}

}  // namespace iddl::matrix
