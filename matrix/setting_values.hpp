#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "matrix/settings.hpp"

namespace iddl::matrix {

// A value written as in a sweep file (strings quoted, tables as {k = v} with "method" first).
std::string value_text(const nlohmann::json& value);

// "" when `v` is a valid value of `s`, else a message naming the setting and the value.
std::string check_value(const Setting& s, const nlohmann::json& v);

// `v` (a valid value of `s`) as a resolved config holds it: floats as floats, integers as 64-bit
// integers, axis values as {"method": NAME, every parameter}.
nlohmann::json normalized_value(const Setting& s, const nlohmann::json& v);

// The message for a setting name not in the registry, with the closest known name.
std::string unknown_setting_message(std::string_view name);

}  // namespace iddl::matrix
