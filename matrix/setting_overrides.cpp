#include "matrix/setting_overrides.hpp"

#include <cctype>
#include <string_view>

#include <fmt/format.h>

#include "matrix/closest_name.hpp"
#include "matrix/settings.hpp"
#include "matrix/sweep_file.hpp"
#include "matrix/sweep_reading.hpp"

namespace iddl::matrix {
namespace {

std::string trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

// Whether `text` is a bare word a user means as a string ("topk", "sync", "cifar10").
bool bare_word(const std::string& text) {
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return false;
  for (const char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
  return text != "true" && text != "false" && text != "inf" && text != "nan";
}

// The value of one override (a bare word as a string) as the table {value = ...}; throws a SweepError naming the
// override.
toml::table parsed_value(const std::string& text, const std::string& label) {
  try {
    return toml::parse("value = " + text, std::string_view(label));
  } catch (const toml::parse_error& e) {
    if (bare_word(text)) return toml::table{{"value", text}};
    throw SweepError(fmt::format("{}: {} is not a TOML value ({}); quote strings, e.g. key='text'", label, text,
                                 e.description()));
  }
}

// The override checked on its own, as a [base] value or, for an axis list, a [matrix] one; the error names `label`.
void check_value(const std::string& key, const toml::node& value, bool as_axis, const std::string& label) {
  toml::table table;
  table.insert(key, value);
  Reading reading;
  reading.file = label;
  try {
    if (as_axis) {
      read_matrix(table, reading);
    } else {
      read_base(table, reading);
    }
  } catch (const SweepError& e) {  // "label:line:col: why": the line and column are those of "value = ..."
    const std::string what = e.what();
    const auto why = what.find(": ", label.size() + 1);
    throw SweepError(fmt::format("{}: {}", label, why == std::string::npos ? what : what.substr(why + 2)));
  }
}

toml::table& table_in(toml::table& root, const char* name) {
  if (!root.contains(name)) root.insert(name, toml::table{});
  if (!root[name].is_table()) throw SweepError(fmt::format("[{}] is not a table", name));
  return *root[name].as_table();
}

// The setting called key; throws naming the override and the nearest known setting.
void require_known(const std::string& key, const std::string& label) {
  if (find_setting(key) != nullptr) return;
  const std::string nearest = closest_name(key, setting_names());
  throw SweepError(fmt::format("{}: unknown setting '{}'{}", label, key,
                               nearest.empty() ? " (docs/sweep-files.md lists the settings)"
                                               : " (did you mean '" + nearest + "'?)"));
}

void apply_override(toml::table& root, const std::string& text, const std::string& file) {
  const std::string label = "--set " + text;
  const auto equals = text.find('=');
  if (equals == std::string::npos) throw SweepError(label + ": expected key=value, e.g. --set lr=0.05");
  const std::string key = trimmed(std::string_view(text).substr(0, equals));
  const std::string value_text = trimmed(std::string_view(text).substr(equals + 1));
  require_known(key, label);
  if (value_text.empty()) throw SweepError(fmt::format("{}: no value for '{}'", label, key));
  const toml::table parsed = parsed_value(value_text, label);
  const toml::node* value = parsed.get("value");
  const toml::table* matrix = root["matrix"].as_table();
  const bool axis = matrix != nullptr && matrix->contains(key);
  // An axis's list of values: an array, for a list setting an array of arrays.
  const bool list_setting = is_list_kind(find_setting(key)->kind);
  const auto* array = value->as_array();
  const bool axis_list = axis && array != nullptr && (!list_setting || (!array->empty() && (*array)[0].is_array()));
  check_value(key, *value, axis_list, label);
  if (const auto* zips = root["zip"].as_array())
    for (const auto& zip : *zips)
      if (zip.is_table() && zip.as_table()->contains(key))
        throw SweepError(fmt::format("{}: {} is a [[zip]] setting of {}; change it there", label, key, file));
  if (axis) {
    toml::array list;
    if (axis_list) {
      list = *array;
    } else {
      list.push_back(*value);
    }
    table_in(root, "matrix").insert_or_assign(key, std::move(list));
    return;
  }
  table_in(root, "base").insert_or_assign(key, *value);
  if (auto* includes = root["include"].as_array())
    for (auto& include : *includes)
      if (include.is_table() && include.as_table()->contains(key)) include.as_table()->insert_or_assign(key, *value);
  if (key == "ranks" && root["launch"].is_table() && root["launch"].as_table()->contains("ranks"))
    root["launch"].as_table()->erase("ranks");
}

}  // namespace

void apply_overrides(toml::table& root, const std::vector<std::string>& overrides, const std::string& file) {
  for (const auto& text : overrides) apply_override(root, text, file);
}

}  // namespace iddl::matrix
