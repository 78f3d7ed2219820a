#include "matrix/sweep_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "matrix/closest_name.hpp"
#include "matrix/expand.hpp"
#include "matrix/setting_overrides.hpp"
#include "matrix/sweep_reading.hpp"
#include "matrix/toml_values.hpp"

namespace iddl::matrix {
namespace {

const std::vector<std::string> kSections{"sweep", "launch", "base", "matrix", "zip", "exclude", "include"};

std::string read_text(const std::string& path) {
  if (std::filesystem::is_directory(path))
    throw SweepError(fmt::format("{}: is a directory, not a sweep file", path));
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

bool is_array_of_tables(const toml::node& node) {
  return node.is_array() && node.as_array()->is_array_of_tables();
}

// "[name]", or "[[name]]" for an array of tables.
std::string bracketed(std::string_view name, bool array_of_tables) {
  return array_of_tables ? fmt::format("[[{}]]", name) : fmt::format("[{}]", name);
}

// How the section `name` is written: "[base]" or "[[zip]]".
std::string written(const std::string& name) {
  return bracketed(name, name == "zip" || name == "exclude" || name == "include");
}

std::string unknown_top_level_message(const toml::key& key, const toml::node& node) {
  if (!node.is_table() && !is_array_of_tables(node) && find_setting(key.str()) != nullptr)
    return fmt::format("setting '{}' is outside any table; put it under [base] or [matrix]", key.str());
  std::vector<std::string> sections;
  for (const auto& name : kSections) sections.push_back(written(name));
  const std::string suggestion = closest_name(key.str(), kSections);
  return fmt::format("unknown table {} ({})", bracketed(key.str(), is_array_of_tables(node)),
                     suggestion.empty() ? fmt::format("a sweep file has {}", fmt::join(sections, ", "))
                                        : "did you mean " + written(suggestion) + "?");
}

// The tables of a sweep file (nullptr or empty when absent).
struct Sections {
  const toml::table* sweep = nullptr;
  const toml::table* launch = nullptr;
  const toml::table* base = nullptr;
  const toml::table* matrix = nullptr;
  std::vector<const toml::table*> zips, excludes, includes;
};

const toml::table& single_table(const std::string& name, const toml::key& key, const toml::node& node,
                                const std::string& file) {
  if (!node.is_table())
    throw sweep_error(file, position_of(key.source()), fmt::format("{0} must be a table, written [{0}]", name));
  return *node.as_table();
}

std::vector<const toml::table*> array_of_tables(const std::string& name, const toml::key& key,
                                                const toml::node& node, const std::string& file) {
  if (!is_array_of_tables(node))
    throw sweep_error(file, position_of(key.source()),
                      fmt::format("{0} must be an array of tables, each written [[{0}]]", name));
  std::vector<const toml::table*> tables;
  for (const auto& element : *node.as_array()) tables.push_back(element.as_table());
  return tables;
}

Sections find_sections(const toml::table& root, const std::string& file) {
  Sections s;
  for (const auto& [key, node] : in_file_order(root)) {
    const std::string name(key->str());
    if (name == "sweep") s.sweep = &single_table(name, *key, *node, file);
    else if (name == "launch") s.launch = &single_table(name, *key, *node, file);
    else if (name == "base") s.base = &single_table(name, *key, *node, file);
    else if (name == "matrix") s.matrix = &single_table(name, *key, *node, file);
    else if (name == "zip") s.zips = array_of_tables(name, *key, *node, file);
    else if (name == "exclude") s.excludes = array_of_tables(name, *key, *node, file);
    else if (name == "include") s.includes = array_of_tables(name, *key, *node, file);
    else throw sweep_error(file, position_of(key->source()), unknown_top_level_message(*key, *node));
  }
  if (s.sweep == nullptr)
    throw sweep_error(file, SourcePosition{}, "missing the [sweep] table, e.g. [sweep] name = \"quickstart\"");
  return s;
}

// Puts the [matrix] keys and [[zip]] groups in the order they are written.
void order_dimensions(SweepPlan& plan) {
  std::stable_sort(plan.dimensions.begin(), plan.dimensions.end(), [](const Dimension& a, const Dimension& b) {
    return std::make_pair(a.position.line, a.position.column) < std::make_pair(b.position.line, b.position.column);
  });
}

// The tables of a parsed sweep file read, checked and expanded.
Sweep read_and_expand(const toml::table& root, const std::string& path_for_errors) {
  const Sections sections = find_sections(root, path_for_errors);
  Reading reading;
  reading.file = path_for_errors;
  reading.plan.file = path_for_errors;
  read_sweep_table(*sections.sweep, reading);
  if (sections.launch != nullptr) read_launch(*sections.launch, reading);
  if (sections.base != nullptr) read_base(*sections.base, reading);
  if (sections.matrix != nullptr) read_matrix(*sections.matrix, reading);
  for (const auto* zip : sections.zips) read_zip(*zip, reading);
  order_dimensions(reading.plan);
  for (const auto* include : sections.includes) read_include(*include, reading);
  for (const auto* exclude : sections.excludes) read_exclude(*exclude, reading);
  check_claims(reading);
  return expand(reading.plan);
}

}  // namespace

SweepError sweep_error(const std::string& file, SourcePosition where, const std::string& message) {
  return SweepError(fmt::format("{}:{}:{}: {}", file, where.line, where.column, message));
}

Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  return parse_sweep(read_text(path), path, overrides);
}

Sweep parse_sweep(std::string_view toml_text, const std::string& path_for_errors,
                  const std::vector<std::string>& overrides) {
  toml::table root = parse_toml(toml_text, path_for_errors);
  apply_overrides(root, overrides, path_for_errors);
  if (overrides.empty()) return read_and_expand(root, path_for_errors);
  try {
    return read_and_expand(root, path_for_errors);
  } catch (const SweepError& e) {  // a check across settings may involve an override, whose place is not in the file
    throw SweepError(fmt::format("{} (with --set {})", e.what(), fmt::join(overrides, " --set ")));
  }
}

}  // namespace iddl::matrix
