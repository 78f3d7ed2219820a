// Private to matrix/: reading the TOML of a sweep file (includes toml++): places, values as JSON, and setting
// values checked where they are written.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "matrix/settings.hpp"
#include "matrix/sweep_file.hpp"

namespace iddl::matrix {

// A key of a TOML table and its value.
using Entry = std::pair<const toml::key*, const toml::node*>;

// Where `region` starts.
SourcePosition position_of(const toml::source_region& region);

// The entries of `table` in the order they are written.
std::vector<Entry> in_file_order(const toml::table& table);

// The value at `node` as JSON; throws SweepError for dates and times.
nlohmann::json to_json(const toml::node& node, const std::string& file);

// The setting `key` names; throws SweepError with the closest name when unknown.
const Setting& setting_for(const toml::key& key, const std::string& file);

// The value of `s` written at `node`, checked (an axis table key by key); `hint` is appended to a
// complaint about the whole value. Throws SweepError at the part to fix.
nlohmann::json checked_value(const Setting& s, const toml::node& node, const std::string& file,
                             const std::string& hint = "");

}  // namespace iddl::matrix
