#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace iddl::matrix {

// In a resolved config every IDDL axis holds an object: {"method": NAME, PARAM: VALUE, ...}
// with every parameter of the method present (defaults filled in).

// The method of a resolved axis value, e.g. "topk" for {"method": "topk", "ratio": 0.01}.
std::string axis_method(const nlohmann::json& axis_value);

// How reports and progress lines show an axis value: "sync", or "topk(ratio=0.01)" with the
// parameters in name order.
std::string axis_label(const nlohmann::json& axis_value);

// How tables, plans and progress lines show a value of `setting`: an axis value with only its
// parameters off the registry's defaults ("topk(ratio=0.01)", "none"); other values as text.
std::string setting_label(const std::string& setting, const nlohmann::json& value);

}  // namespace iddl::matrix
