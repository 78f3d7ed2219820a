#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace iddl::matrix {

// The type of a setting's value (Axis: a method name or a {method = NAME, params} table, see axis_methods.hpp).
enum class Kind { String, Int, Float, Bool, IntList, Axis };

// One known setting: its name, type, default and allowed values.
struct Setting {
  std::string name;
  Kind kind;
  nlohmann::json default_value;
  std::vector<std::string> choices;  // allowed values for String kinds (empty: any)
  std::optional<double> min, max;    // range for numbers / list elements (inclusive unless marked below)
  bool min_exclusive = false;        // the value must be > min rather than >= min
  bool max_exclusive = false;        // the value must be < max rather than <= max
  std::string help;                  // one line for docs and errors
};

// Every known setting, in canonical order.
const std::vector<Setting>& settings();

// The setting called `name`; nullptr when unknown.
const Setting* find_setting(std::string_view name);

// The names of every known setting, in canonical order.
std::vector<std::string> setting_names();

// The five IDDL axes: sparsification, vertical, horizontal, compression, parallelism.
std::vector<std::string> axis_names();

// The name of a kind as used in docs and errors ("integer", "list of integers", ...).
std::string kind_name(Kind kind);

// A value written as in a sweep file (strings quoted, tables as {k = v} with "method" first).
std::string value_text(const nlohmann::json& value);

// "" when `v` is a valid value of `s`, else a message naming the setting and the value.
std::string check_value(const Setting& s, const nlohmann::json& v);

// `v` (a valid value of `s`) as a resolved config holds it: floats as floats, integers as 64-bit
// integers, axis values as {"method": NAME, every parameter}.
nlohmann::json normalized_value(const Setting& s, const nlohmann::json& v);

// The message for a setting name not in the registry, with the closest known name.
std::string unknown_setting_message(std::string_view name);

// A config that cannot be resolved.
struct ConfigError : std::runtime_error {
  ConfigError(const std::string& message, std::vector<std::string> settings = {});
  std::vector<std::string> settings;  // the settings the error is about, the one to blame first
};

// The full config: `partial` checked (keys, values, cross-setting rules) with defaults filled in
// and every value normalized (see normalized_value). Throws ConfigError.
nlohmann::json resolve_config(const nlohmann::json& partial);

// The candidate nearest to `wrong` by edit distance; "" if none is close.
std::string closest_name(std::string_view wrong, const std::vector<std::string>& candidates);

// Every candidate close to `wrong` (as closest_name judges), nearest first, ties in candidate order.
std::vector<std::string> close_names(std::string_view wrong, const std::vector<std::string>& candidates);

}  // namespace iddl::matrix
