#include "matrix/setting_values.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "matrix/axis_methods.hpp"
#include "matrix/axis_value.hpp"
#include "matrix/closest_name.hpp"

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
  std::string expected = with_article(s.kind);
  if (s.kind == Kind::Int)
    for (const std::string& word : s.choices) expected += " or \"" + word + "\"";
  return fmt::format("{} = {} is not {}", s.name, value_text(v), expected);
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
  if (v.is_string() && std::find(s.choices.begin(), s.choices.end(), v.get<std::string>()) != s.choices.end()) return "";
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

std::string check_float_list(const Setting& s, const json& v) {
  if (!v.is_array()) return type_error(s, v);
  for (const auto& element : v)
    if (!element.is_number() || (element.is_number_integer() && !fits_int64(element))) return type_error(s, v);
  for (const auto& element : v)
    if (!std::isfinite(element.get<double>()))
      return fmt::format("{} = {} holds {}, not a finite number", s.name, value_text(v), value_text(element));
  for (const auto& element : v)
    if (!in_range(s, element.get<double>()))
      return fmt::format("{} = {} is out of range: every element {}, got {}", s.name, value_text(v),
                         range_text(s), value_text(element));
  return "";
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
    case Kind::FloatList: return check_float_list(s, v);
    case Kind::Axis: return check_axis_value(s, v);
  }
  return "unknown kind of setting " + s.name;
}

json normalized_value(const Setting& s, const json& v) {
  switch (s.kind) {
    case Kind::Float: return v.get<double>();
    case Kind::Int: return v.is_string() ? v : json(v.get<std::int64_t>());
    case Kind::IntList: return v.get<std::vector<std::int64_t>>();
    case Kind::FloatList: return v.get<std::vector<double>>();
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

}  // namespace iddl::matrix
