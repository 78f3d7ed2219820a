#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "matrix/settings.hpp"

// Short constructors of Setting specs, shared by the settings registry (settings.cpp) and the axis-method
// registry (axis_methods.cpp).
namespace iddl::matrix {

// A string setting; `choices` empty: any string.
Setting text(std::string name, std::string default_value, std::vector<std::string> choices, std::string help);

// An IDDL axis whose value is one of its methods (axis_methods.hpp), `default_method` by default.
Setting axis(std::string name, std::string default_method, std::string help);

// A setting that is not an IDDL axis but is chosen like one: a method of axis_methods.hpp and its parameters.
Setting method_setting(std::string name, std::string default_method, std::string help);

// An integer setting of at least `min`.
Setting integer(std::string name, std::int64_t default_value, double min, std::string help);

// An integer setting of at least `min` that also takes the word `word`, its default.
Setting integer_or_word(std::string name, std::string word, double min, std::string help);

// A number setting (any finite value until with_min / with_max bound it).
Setting number(std::string name, double default_value, std::string help);

// `s` bounded below by `min` (excluded when `exclusive`).
Setting with_min(Setting s, double min, bool exclusive);

// `s` bounded above by `max` (excluded when `exclusive`).
Setting with_max(Setting s, double max, bool exclusive);

// `s`, left out of run keys: it cannot change what a run computes.
Setting outside_run_key(Setting s);

// A boolean setting.
Setting flag(std::string name, bool default_value, std::string help);

// A list of integers, each at least `min`.
Setting int_list(std::string name, std::vector<std::int64_t> default_value, double min, std::string help);

// A list of numbers (integers allowed), each at least `min`.
Setting number_list(std::string name, std::vector<double> default_value, double min, std::string help);

}  // namespace iddl::matrix
