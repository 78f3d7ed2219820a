// [sweep]: the sweep's name, and how often each combination runs (repeats or explicit seeds).
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "matrix/closest_name.hpp"
#include "matrix/setting_values.hpp"
#include "matrix/sweep_reading.hpp"
#include "matrix/toml_values.hpp"

namespace iddl::matrix {

bool valid_sweep_name(const std::string& name) {
  return !name.empty() && name.size() <= kMaxSweepNameLength && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

namespace {

using nlohmann::json;

// text, cut to 60 characters.
std::string shortened(const std::string& text) {
  return text.size() <= 60 ? text : text.substr(0, 60) + fmt::format("... ({} characters)", text.size());
}

void read_sweep_name(const toml::node& node, Reading& reading) {
  const auto* name = node.as_string();
  if (name == nullptr || !valid_sweep_name(name->get()))
    throw sweep_error(reading.file, position_of(node.source()),
                      fmt::format("[sweep] name = {} must be a string of letters, digits, '_', '.' and '-', "
                                  "at most {} long",
                                  shortened(value_text(to_json(node, reading.file))), kMaxSweepNameLength));
  reading.plan.name = name->get();
}

void read_repeats(const toml::node& node, Reading& reading) {
  const auto* repeats = node.as_integer();
  if (repeats == nullptr || repeats->get() < 1 || repeats->get() > kMaxRuns)
    throw sweep_error(reading.file, position_of(node.source()),
                      fmt::format("[sweep] repeats = {} must be an integer from 1 to {}",
                                  value_text(to_json(node, reading.file)), kMaxRuns));
  reading.plan.repeats = static_cast<int>(repeats->get());
}

void read_seeds(const toml::key& key, const toml::node& node, Reading& reading) {
  const auto* seeds = node.as_array();
  const SourcePosition where = position_of(node.source());
  if (seeds == nullptr)
    throw sweep_error(reading.file, where,
                      fmt::format("[sweep] seeds = {} must be an array of seeds, e.g. seeds = [1, 7, 42]",
                                  value_text(to_json(node, reading.file))));
  if (seeds->empty()) throw sweep_error(reading.file, where, "[sweep] seeds = [] has no seeds");
  if (static_cast<long long>(seeds->size()) > kMaxRuns)
    throw sweep_error(reading.file, where,
                      fmt::format("[sweep] seeds has {} seeds, more than {}", seeds->size(), kMaxRuns));
  const Setting& seed = *find_setting("seed");
  auto& plan = reading.plan;
  for (const auto& element : *seeds) {
    const auto value = checked_value(seed, element, reading.file).get<std::int64_t>();
    if (std::find(plan.seeds.begin(), plan.seeds.end(), value) != plan.seeds.end())
      throw sweep_error(reading.file, position_of(element.source()),
                        fmt::format("[sweep] seeds lists seed {} twice", value));
    plan.seeds.push_back(value);
  }
  plan.repeats = static_cast<int>(plan.seeds.size());
  reading.claims.push_back({"seed", "[sweep] seeds", position_of(key.source()), Scope::EveryRun});
}

std::string unknown_key_message(const toml::key& key) {
  const std::string suggestion = closest_name(key.str(), {"name", "repeats", "seeds"});
  return fmt::format("unknown key '{}' in [sweep] ({})", key.str(),
                     suggestion.empty() ? "it takes name, repeats and seeds" : "did you mean '" + suggestion + "'?");
}

}  // namespace

void read_sweep_table(const toml::table& table, Reading& reading) {
  const toml::key* repeats = nullptr;
  const toml::key* seeds = nullptr;
  for (const auto& [key, node] : in_file_order(table)) {
    if (key->str() == "name") {
      read_sweep_name(*node, reading);
    } else if (key->str() == "repeats") {
      read_repeats(*node, reading);
      repeats = key;
    } else if (key->str() == "seeds") {
      read_seeds(*key, *node, reading);
      seeds = key;
    } else {
      throw sweep_error(reading.file, position_of(key->source()), unknown_key_message(*key));
    }
    if (repeats != nullptr && seeds != nullptr)
      throw sweep_error(reading.file, position_of(key->source()),
                        fmt::format("[sweep] has both repeats (line {}) and seeds (line {}); keep one",
                                    position_of(repeats->source()).line, position_of(seeds->source()).line));
  }
  if (reading.plan.name.empty())
    throw sweep_error(reading.file, position_of(table.source()), "[sweep] needs a name, e.g. name = \"quickstart\"");
}

}  // namespace iddl::matrix
