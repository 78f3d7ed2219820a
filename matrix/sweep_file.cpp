#include "matrix/sweep_file.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "matrix/expand.hpp"
#include "matrix/settings.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;
using Entry = std::pair<const toml::key*, const toml::node*>;

SourcePosition position_of(const toml::source_region& region) {
  return {static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SweepError(fmt::format("{}: cannot open the sweep file: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

toml::table parse_toml(std::string_view text, const std::string& file) {
  try {
    return toml::parse(text, std::string_view(file));
  } catch (const toml::parse_error& e) {
    throw sweep_error(file, position_of(e.source()), std::string(e.description()));
  }
}

// The entries of `table` in the order they are written.
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

// The value of `s` written at `node`, checked; `hint` is appended to a complaint.
json checked_value(const Setting& s, const toml::node& node, const std::string& file, const std::string& hint = "") {
  json value = to_json(node, file);
  if (std::string problem = check_value(s, value); !problem.empty())
    throw sweep_error(file, position_of(node.source()), problem + hint);
  return value;
}

bool valid_sweep_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

void read_sweep_name(const toml::node& node, const std::string& file, SweepPlan& plan) {
  const auto* name = node.as_string();
  if (name == nullptr || !valid_sweep_name(name->get()))
    throw sweep_error(file, position_of(node.source()),
                      fmt::format("[sweep] name = {} must be a string of letters, digits, '_', '.' and '-'",
                                  value_text(to_json(node, file))));
  plan.name = name->get();
}

void read_repeats(const toml::node& node, const std::string& file, SweepPlan& plan) {
  const auto* repeats = node.as_integer();
  if (repeats == nullptr || repeats->get() < 1 || repeats->get() > kMaxRuns)
    throw sweep_error(file, position_of(node.source()),
                      fmt::format("[sweep] repeats = {} must be an integer from 1 to {}",
                                  value_text(to_json(node, file)), kMaxRuns));
  plan.repeats = static_cast<int>(repeats->get());
}

void read_sweep_table(const toml::table& table, const std::string& file, SweepPlan& plan) {
  for (const auto& [key, node] : in_file_order(table)) {
    if (key->str() == "name") {
      read_sweep_name(*node, file, plan);
    } else if (key->str() == "repeats") {
      read_repeats(*node, file, plan);
    } else {
      const std::string suggestion = closest_name(key->str(), {"name", "repeats"});
      throw sweep_error(file, position_of(key->source()),
                        fmt::format("unknown key '{}' in [sweep] ({})", key->str(),
                                    suggestion.empty() ? "it takes name and repeats"
                                                       : "did you mean '" + suggestion + "'?"));
    }
  }
  if (plan.name.empty())
    throw sweep_error(file, position_of(table.source()), "[sweep] needs a name, e.g. name = \"quickstart\"");
}

void read_base(const toml::table& table, const std::string& file, SweepPlan& plan) {
  for (const auto& [key, node] : in_file_order(table)) {
    const Setting& s = setting_for(*key, file);
    plan.base[s.name] = checked_value(s, *node, file);
    plan.base_where[s.name] = position_of(node->source());
  }
}

// Where each setting of [matrix] is decided: its own keys, and the settings their inline tables add.
struct MatrixOwners {
  std::map<std::string, SourcePosition> keys;       // [matrix] key -> where it is written
  std::map<std::string, std::string> added_by_axis;  // setting set inside inline tables -> their axis
};

// Refuses a setting an inline table of `axis` adds when [base] or another [matrix] entry decides it too.
void check_added_setting(const std::string& name, const toml::key& key, const std::string& axis,
                         const SweepPlan& plan, MatrixOwners& owners, const std::string& file) {
  std::string other;
  if (plan.base_where.count(name)) {
    other = fmt::format("[base] (line {})", plan.base_where.at(name).line);
  } else if (owners.keys.count(name)) {
    other = fmt::format("[matrix] {} (line {})", name, owners.keys.at(name).line);
  } else if (owners.added_by_axis.count(name) && owners.added_by_axis.at(name) != axis) {
    other = "the values of [matrix] " + owners.added_by_axis.at(name);
  }
  if (!other.empty())
    throw sweep_error(file, position_of(key.source()),
                      fmt::format("setting '{}' is set by the values of [matrix] {} and by {}; keep one",
                                  name, axis, other));
  owners.added_by_axis[name] = axis;
}

AxisValue read_inline_table(const Setting& axis, const toml::table& table, const SweepPlan& plan,
                            MatrixOwners& owners, const std::string& file) {
  if (!table.contains(axis.name))
    throw sweep_error(file, position_of(table.source()),
                      fmt::format("the table {} in [matrix] {} does not set {} itself", value_text(to_json(table, file)),
                                  axis.name, axis.name));
  AxisValue value;
  for (const auto& [key, node] : in_file_order(table)) {
    const Setting& s = setting_for(*key, file);
    if (s.name != axis.name) check_added_setting(s.name, *key, axis.name, plan, owners, file);
    value.settings[s.name] = checked_value(s, *node, file);
    value.where[s.name] = position_of(node->source());
  }
  return value;
}

AxisValue read_axis_value(const Setting& axis, const toml::node& element, const SweepPlan& plan,
                          MatrixOwners& owners, const std::string& file) {
  AxisValue value;
  if (const auto* table = element.as_table()) {
    value = read_inline_table(axis, *table, plan, owners, file);
  } else {
    const std::string hint =
        axis.kind == Kind::IntList && !element.is_array()
            ? fmt::format("; in [matrix], {0} takes a list of lists, e.g. {0} = [[64], [128, 64]]", axis.name)
            : "";
    value.settings[axis.name] = checked_value(axis, element, file, hint);
    value.where[axis.name] = position_of(element.source());
  }
  value.position = position_of(element.source());
  return value;
}

Axis read_axis(const Setting& s, const toml::node& node, const SweepPlan& plan, MatrixOwners& owners,
               const std::string& file) {
  const auto* values = node.as_array();
  if (values == nullptr)
    throw sweep_error(file, position_of(node.source()),
                      fmt::format("[matrix] {0} = {1} must be an array of values to cross, e.g. {0} = [{1}]; "
                                  "a value shared by every run belongs in [base]",
                                  s.name, value_text(to_json(node, file))));
  if (values->empty())
    throw sweep_error(file, position_of(node.source()), fmt::format("[matrix] {} = [] has no values", s.name));
  Axis axis{s.name, {}};
  for (const auto& element : *values) axis.values.push_back(read_axis_value(s, element, plan, owners, file));
  return axis;
}

void read_matrix(const toml::table& table, const std::string& file, SweepPlan& plan) {
  const std::vector<Entry> entries = in_file_order(table);
  MatrixOwners owners;
  for (const auto& [key, node] : entries) {
    const Setting& s = setting_for(*key, file);
    if (plan.base_where.count(s.name))
      throw sweep_error(file, position_of(key->source()),
                        fmt::format("setting '{}' is in both [base] (line {}) and [matrix]; keep one", s.name,
                                    plan.base_where.at(s.name).line));
    owners.keys[s.name] = position_of(key->source());
  }
  for (const auto& [key, node] : entries)
    plan.axes.push_back(read_axis(*find_setting(key->str()), *node, plan, owners, file));
}

std::string unknown_top_level_message(const toml::key& key, const toml::node& node) {
  const std::vector<std::string> tables{"sweep", "base", "matrix"};
  if (!node.is_table() && find_setting(key.str()) != nullptr)
    return fmt::format("setting '{}' is outside any table; put it under [base] or [matrix]", key.str());
  const std::string suggestion = closest_name(key.str(), tables);
  return fmt::format("unknown table [{}] ({})", key.str(),
                     suggestion.empty() ? "a sweep file has [sweep], [base] and [matrix]"
                                        : "did you mean [" + suggestion + "]?");
}

// The [sweep], [base] and [matrix] tables of a sweep file (nullptr when absent).
struct Sections {
  const toml::table* sweep = nullptr;
  const toml::table* base = nullptr;
  const toml::table* matrix = nullptr;
};

Sections find_sections(const toml::table& root, const std::string& file) {
  Sections sections;
  for (const auto& [key, node] : in_file_order(root)) {
    const std::string name(key->str());
    const toml::table** slot = name == "sweep"  ? &sections.sweep
                               : name == "base" ? &sections.base
                               : name == "matrix" ? &sections.matrix
                                                  : nullptr;
    if (slot == nullptr) throw sweep_error(file, position_of(key->source()), unknown_top_level_message(*key, *node));
    if (!node->is_table())
      throw sweep_error(file, position_of(key->source()), fmt::format("{0} must be a table, written [{0}]", name));
    *slot = node->as_table();
  }
  if (sections.sweep == nullptr)
    throw sweep_error(file, SourcePosition{}, "missing the [sweep] table, e.g. [sweep] name = \"quickstart\"");
  return sections;
}

}  // namespace

SweepError sweep_error(const std::string& file, SourcePosition where, const std::string& message) {
  return SweepError(fmt::format("{}:{}:{}: {}", file, where.line, where.column, message));
}

Sweep load_sweep(const std::string& path) { return parse_sweep(read_text(path), path); }

Sweep parse_sweep(std::string_view toml_text, const std::string& path_for_errors) {
  const toml::table root = parse_toml(toml_text, path_for_errors);
  const Sections sections = find_sections(root, path_for_errors);
  SweepPlan plan;
  plan.file = path_for_errors;
  read_sweep_table(*sections.sweep, path_for_errors, plan);
  if (sections.base != nullptr) read_base(*sections.base, path_for_errors, plan);
  if (sections.matrix != nullptr) read_matrix(*sections.matrix, path_for_errors, plan);
  return expand(plan);
}

}  // namespace iddl::matrix
