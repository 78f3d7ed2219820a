#include "matrix/toml_values.hpp"

#include <algorithm>

#include "matrix/axis_methods.hpp"
#include "matrix/setting_values.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

// The {method = NAME, params} table `table` of `axis`, checked: the method, then each parameter.
json checked_axis_table(const Setting& axis, const toml::table& table, const std::string& file) {
  const json value = to_json(table, file);
  const toml::node* method = table.get("method");
  if (method == nullptr) throw sweep_error(file, position_of(table.source()), missing_method_message(axis, value));
  if (std::string problem = check_method_name(axis, value["method"]); !problem.empty())
    throw sweep_error(file, position_of(method->source()), problem);
  const AxisMethod& chosen = *find_axis_method(axis.name, value["method"].get<std::string>());
  for (const auto& [key, node] : in_file_order(table)) {
    if (key->str() == "method") continue;
    const Setting* param = find_method_param(chosen, key->str());
    if (param == nullptr)
      throw sweep_error(file, position_of(key->source()), unknown_param_message(chosen, key->str()));
    if (std::string problem = check_param_value(chosen, *param, value[std::string(key->str())]); !problem.empty())
      throw sweep_error(file, position_of(node->source()), problem);
  }
  return value;
}

}  // namespace

SourcePosition position_of(const toml::source_region& region) {
  return {static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

std::vector<Entry> in_file_order(const toml::table& table) {
  std::vector<Entry> entries;
  for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    const auto& x = a.first->source().begin;
    const auto& y = b.first->source().begin;
    return std::make_pair(x.line, x.column) < std::make_pair(y.line, y.column);
  });
  return entries;
}

json to_json(const toml::node& node, const std::string& file) {
  switch (node.type()) {
    case toml::node_type::string: return node.as_string()->get();
    case toml::node_type::integer: return node.as_integer()->get();
    case toml::node_type::floating_point: return node.as_floating_point()->get();
    case toml::node_type::boolean: return node.as_boolean()->get();
    case toml::node_type::array: {
      json out = json::array();
      for (const auto& element : *node.as_array()) out.push_back(to_json(element, file));
      return out;
    }
    case toml::node_type::table: {
      json out = json::object();
      for (const auto& [key, value] : *node.as_table()) out[std::string(key.str())] = to_json(value, file);
      return out;
    }
    default: throw sweep_error(file, position_of(node.source()), "dates and times are not setting values");
  }
}

const Setting& setting_for(const toml::key& key, const std::string& file) {
  const Setting* s = find_setting(key.str());
  if (s == nullptr) throw sweep_error(file, position_of(key.source()), unknown_setting_message(key.str()));
  return *s;
}

json checked_value(const Setting& s, const toml::node& node, const std::string& file, const std::string& hint) {
  if (s.kind == Kind::Axis && node.is_table()) return checked_axis_table(s, *node.as_table(), file);
  json value = to_json(node, file);
  if (std::string problem = check_value(s, value); !problem.empty())
    throw sweep_error(file, position_of(node.source()), problem + hint);
  return value;
}

}  // namespace iddl::matrix
