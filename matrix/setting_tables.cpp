// The tables of settings: [base], [matrix], [[zip]], [[include]] and [[exclude]].
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "matrix/setting_values.hpp"
#include "matrix/sweep_reading.hpp"
#include "matrix/toml_values.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

// A checked value and where it is written.
struct Placed {
  json value;
  SourcePosition where;
};

void add_setting(Choice& choice, const std::string& name, const json& value, SourcePosition where) {
  choice.settings[name] = value;
  choice.where[name] = where;
}

// The checked values of `s` in the array `node`, written in `place` ("[matrix]" or "[[zip]]").
std::vector<Placed> read_value_array(const Setting& s, const toml::node& node, const std::string& place,
                                     const std::string& file) {
  const auto* values = node.as_array();
  if (values == nullptr)
    throw sweep_error(file, position_of(node.source()),
                      fmt::format("{0} {1} = {2} must be an array of values to cross, e.g. {1} = [{2}]; "
                                  "a value shared by every run belongs in [base]",
                                  place, s.name, value_text(to_json(node, file))));
  if (values->empty())
    throw sweep_error(file, position_of(node.source()), fmt::format("{} {} = [] has no values", place, s.name));
  std::vector<Placed> out;
  for (const auto& element : *values) {
    const std::string hint =
        is_list_kind(s.kind) && !element.is_array()
            ? fmt::format("; in {0}, {1} takes a list of lists, e.g. {1} = {2}", place, s.name,
                          s.kind == Kind::IntList ? "[[64], [128, 64]]" : "[[0.0, 0.4, 0.0], [0.0, 0.2, 0.0]]")
            : "";
    out.push_back({checked_value(s, element, file, hint), position_of(element.source())});
  }
  return out;
}

std::string count_text(std::size_t n) { return fmt::format("{} value{}", n, n == 1 ? "" : "s"); }

// The nodes of the values an [[exclude]] key lists: the elements of its array, or the node itself when
// it is not an array or is one value of a list setting (an array without arrays in it).
std::vector<const toml::node*> listed_values(const Setting& s, const toml::node& node, const std::string& file) {
  const auto* array = node.as_array();
  const bool one_list = is_list_kind(s.kind) && array != nullptr &&
                        std::none_of(array->begin(), array->end(), [](const toml::node& n) { return n.is_array(); });
  if (array == nullptr || one_list) return {&node};
  if (array->empty())
    throw sweep_error(file, position_of(node.source()), fmt::format("[[exclude]] {} = [] has no values", s.name));
  std::vector<const toml::node*> out;
  for (const auto& element : *array) out.push_back(&element);
  return out;
}

// `value` as an [[exclude]] matches it: normalized, and for an axis only its method and the given parameters.
json pattern_of(const Setting& s, const json& value) {
  const json normal = normalized_value(s, value);
  if (s.kind != Kind::Axis) return normal;
  json pattern = {{"method", normal["method"]}};
  if (value.is_object())
    for (const auto& [field, given] : value.items()) pattern[field] = normal[field];
  return pattern;
}

}  // namespace

void read_base(const toml::table& table, Reading& reading) {
  for (const auto& [key, node] : in_file_order(table)) {
    const Setting& s = setting_for(*key, reading.file);
    const json value = checked_value(s, *node, reading.file);
    reading.plan.base_table[s.name] = value;
    add_setting(reading.plan.shared, s.name, value, position_of(node->source()));
    reading.claims.push_back({s.name, "[base]", position_of(key->source()), Scope::Shared});
  }
}

void read_matrix(const toml::table& table, Reading& reading) {
  for (const auto& [key, node] : in_file_order(table)) {
    const Setting& s = setting_for(*key, reading.file);
    reading.claims.push_back({s.name, "[matrix]", position_of(key->source()), Scope::Shared});
    Dimension dimension{"[matrix] " + s.name, {s.name}, {}, position_of(key->source())};
    for (const auto& [value, where] : read_value_array(s, *node, "[matrix]", reading.file)) {
      Choice choice;
      choice.position = where;
      add_setting(choice, s.name, value, where);
      dimension.choices.push_back(std::move(choice));
    }
    reading.plan.dimensions.push_back(std::move(dimension));
  }
}

void read_zip(const toml::table& table, Reading& reading) {
  const SourcePosition header = position_of(table.source());
  const std::vector<Entry> entries = in_file_order(table);
  if (entries.empty())
    throw sweep_error(reading.file, header,
                      "[[zip]] is empty; give settings with one array each, e.g. model = [\"mlp\", \"lenet\"]");
  Dimension dimension{"", {}, {}, header};
  std::vector<std::vector<Placed>> columns;
  for (const auto& [key, node] : entries) {
    const Setting& s = setting_for(*key, reading.file);
    reading.claims.push_back({s.name, "[[zip]]", position_of(key->source()), Scope::Shared});
    dimension.settings.push_back(s.name);
    columns.push_back(read_value_array(s, *node, "[[zip]]", reading.file));
    if (columns.back().size() != columns.front().size())
      throw sweep_error(reading.file, position_of(node->source()),
                        fmt::format("[[zip]] arrays must have the same length: {} has {} (line {}) but {} has {}",
                                    dimension.settings.front(), count_text(columns.front().size()),
                                    position_of(entries.front().second->source()).line, s.name,
                                    count_text(columns.back().size())));
  }
  dimension.label = fmt::format("[[zip]] {}", fmt::join(dimension.settings, ", "));
  for (std::size_t step = 0; step < columns.front().size(); ++step) {
    Choice choice;
    choice.position = columns.front()[step].where;
    for (std::size_t i = 0; i < columns.size(); ++i)
      add_setting(choice, dimension.settings[i], columns[i][step].value, columns[i][step].where);
    dimension.choices.push_back(std::move(choice));
  }
  reading.plan.dimensions.push_back(std::move(dimension));
}

void read_include(const toml::table& table, Reading& reading) {
  Choice include;
  include.position = position_of(table.source());
  for (const auto& [key, node] : in_file_order(table)) {
    const Setting& s = setting_for(*key, reading.file);
    add_setting(include, s.name, checked_value(s, *node, reading.file), position_of(node->source()));
    reading.claims.push_back({s.name, "[[include]]", position_of(key->source()), Scope::Extra});
  }
  reading.plan.includes.push_back(std::move(include));
}

void read_exclude(const toml::table& table, Reading& reading) {
  Exclusion exclusion{{}, to_json(table, reading.file), position_of(table.source())};
  const std::vector<Entry> entries = in_file_order(table);
  if (entries.empty())
    throw sweep_error(reading.file, exclusion.position,
                      "[[exclude]] is empty; give the settings of the runs to remove, e.g. model = \"lenet\"");
  for (const auto& [key, node] : entries) {
    const Setting& s = setting_for(*key, reading.file);
    std::vector<json> patterns;
    for (const toml::node* value : listed_values(s, *node, reading.file))
      patterns.push_back(pattern_of(s, checked_value(s, *value, reading.file)));
    exclusion.patterns.emplace_back(s.name, std::move(patterns));
  }
  reading.plan.exclusions.push_back(std::move(exclusion));
}

}  // namespace iddl::matrix
