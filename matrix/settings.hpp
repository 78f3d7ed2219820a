#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace iddl::matrix {

// The type of a setting's value (Axis: a method name or a {method = NAME, params} table, see axis_methods.hpp; the
// five IDDL axes and the other settings chosen by method, such as augment).
enum class Kind { String, Int, Float, Bool, IntList, FloatList, Axis };

// One known setting: its name, type, default and allowed values.
struct Setting {
  std::string name;
  Kind kind;
  nlohmann::json default_value;
  std::vector<std::string> choices;  // allowed values for String kinds (empty: any); words an Int also takes
  std::optional<double> min, max;    // range for numbers / list elements (inclusive unless marked below)
  bool min_exclusive = false;        // the value must be > min rather than >= min
  bool max_exclusive = false;        // the value must be < max rather than <= max
  std::string help;                  // one line for docs and errors
  bool iddl_axis = false;            // one of the five IDDL axes (a Kind::Axis setting such as augment is not)
  bool in_run_key = true;            // false: the setting cannot change what a run computes (checkpoints)
};

// Every known setting, in canonical order.
const std::vector<Setting>& settings();

// The setting called `name`; nullptr when unknown.
const Setting* find_setting(std::string_view name);

// The names of every known setting, in canonical order.
std::vector<std::string> setting_names();

// The five IDDL axes: sparsification, vertical, horizontal, compression, parallelism.
std::vector<std::string> axis_names();

// Every setting whose value is a method (Kind::Axis), in canonical order: the five IDDL axes and augment.
std::vector<std::string> method_setting_names();

// The name of a kind as used in docs and errors ("integer", "list of integers", ...).
std::string kind_name(Kind kind);

// Whether values of `kind` are lists (IntList, FloatList).
bool is_list_kind(Kind kind);

}  // namespace iddl::matrix
