// Private to matrix/: `iddl-sweep --set key=value` overrides applied to a sweep file's tables (includes toml++).
#pragma once
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace iddl::matrix {

// Checks each "key=value" override like a sweep file's value (known setting, type, range; a value that is not TOML
// but a bare word is a string) and writes it into `root`: a [matrix] axis's list is replaced (a single value
// becomes a one-element list), any other setting is set in [base] and in each [[include]] that sets it; throws
// SweepError "--set key=value: why" naming the override.
void apply_overrides(toml::table& root, const std::vector<std::string>& overrides, const std::string& file);

}  // namespace iddl::matrix
