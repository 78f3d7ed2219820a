#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "matrix/settings.hpp"

namespace iddl::matrix {

// One method an IDDL axis can take and the parameters it accepts (specs as settings, never of kind Axis).
struct AxisMethod {
  std::string name;
  std::string help;             // one line for docs
  std::vector<Setting> params;  // in documentation order
};

// The methods of the IDDL axis `axis` (or of another method setting: augment), in documentation order; empty when
// `axis` is neither.
const std::vector<AxisMethod>& axis_methods(std::string_view axis);

// The method `name` of the IDDL axis `axis`; nullptr when unknown.
const AxisMethod* find_axis_method(std::string_view axis, std::string_view name);

// The parameter `name` of `method`; nullptr when it takes no such parameter.
const Setting* find_method_param(const AxisMethod& method, std::string_view name);

// "" when `name` is the name of a method of `axis`, else a message with the closest method.
std::string check_method_name(const Setting& axis, const nlohmann::json& name);

// The message for a table value of `axis` without a "method" key.
std::string missing_method_message(const Setting& axis, const nlohmann::json& table);

// The message for a parameter `method` does not take, with its closest parameter.
std::string unknown_param_message(const AxisMethod& method, std::string_view name);

// "" when `value` is a valid value of the parameter `param` of `method`, else a message naming both.
std::string check_param_value(const AxisMethod& method, const Setting& param, const nlohmann::json& value);

// "" when the {method = NAME, params} table `table` gives `method` only known parameters with valid
// values, else the first problem.
std::string check_method_params(const AxisMethod& method, const nlohmann::json& table);

// "" when `v` is a valid value of the axis setting `axis` (a method name or a {method = NAME, params}
// table), else a message naming the value and the closest valid one.
std::string check_axis_value(const Setting& axis, const nlohmann::json& v);

// {"method": NAME, PARAM: VALUE, ...} for `value` (the method's name or a checked table of it), every
// parameter present: the given ones normalized, the others at their defaults.
nlohmann::json method_value(const AxisMethod& method, const nlohmann::json& value);

}  // namespace iddl::matrix
