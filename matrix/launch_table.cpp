// [launch]: how iddl-sweep starts the runs, and the ranks of every run.
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "matrix/closest_name.hpp"
#include "matrix/setting_values.hpp"
#include "matrix/sweep_reading.hpp"
#include "matrix/toml_values.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

const std::vector<std::string> kLaunchKeys{"launcher", "mpirun_args", "hosts", "hostfile", "sbatch_args",
                                           "timeout", "jobs", "gpu_policy", "ranks", "oversubscribe"};

// Digits with at most one '.' between them, e.g. "90" or "1.5".
bool is_decimal(const std::string& text) {
  const auto dots = std::count(text.begin(), text.end(), '.');
  return !text.empty() && text.front() != '.' && text.back() != '.' && dots <= 1 &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) || c == '.'; });
}

// The seconds in `text` written as amounts of hours, minutes and seconds in that order ("90s", "30m",
// "2h", "1h30m", "1.5h"); nullopt when it is not written so.
std::optional<double> duration_seconds(const std::string& text) {
  static const std::vector<std::pair<char, double>> units{{'h', 3600}, {'m', 60}, {'s', 1}};
  auto next_unit = units.begin();
  double total = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t unit_at = text.find_first_not_of("0123456789.", at);
    if (unit_at == std::string::npos) return std::nullopt;
    const std::string amount = text.substr(at, unit_at - at);
    const auto unit = std::find_if(next_unit, units.end(), [&](const auto& u) { return u.first == text[unit_at]; });
    if (!is_decimal(amount) || unit == units.end()) return std::nullopt;
    total += std::strtod(amount.c_str(), nullptr) * unit->second;  // inf when out of range: refused by the caller
    next_unit = unit + 1;
    at = unit_at + 1;
  }
  return text.empty() ? std::nullopt : std::optional<double>(total);
}

// The value of [launch] `key`, named by one of `names`; the error names the closest one.
template <typename Choice, std::size_t N>
Choice read_choice(const std::string& key, const std::array<std::pair<Choice, std::string_view>, N>& names,
                   const toml::node& node, const Reading& reading) {
  const json value = to_json(node, reading.file);
  if (value.is_string())
    for (const auto& [choice, name] : names)
      if (name == value.get<std::string>()) return choice;
  std::vector<std::string> choices;
  for (const auto& [choice, name] : names) choices.emplace_back(name);
  const std::string suggestion = value.is_string() ? closest_name(value.get<std::string>(), choices) : "";
  throw sweep_error(reading.file, position_of(node.source()),
                    fmt::format("[launch] {} = {} is not one of {}{}", key, value_text(value), fmt::join(choices, ", "),
                                suggestion.empty() ? "" : " (did you mean \"" + suggestion + "\"?)"));
}

// The strings of the [launch] array `key`; `example` shows the array form in the error.
std::vector<std::string> read_strings(const std::string& key, const toml::node& node, const Reading& reading,
                                      const std::string& example) {
  const auto* array = node.as_array();
  if (array == nullptr)
    throw sweep_error(reading.file, position_of(node.source()),
                      fmt::format("[launch] {} = {} must be an array of strings, e.g. {} = {}", key,
                                  value_text(to_json(node, reading.file)), key, example));
  std::vector<std::string> strings;
  for (const auto& element : *array) {
    const json value = to_json(element, reading.file);
    if (!value.is_string())
      throw sweep_error(reading.file, position_of(element.source()),
                        fmt::format("[launch] {0}: {1} is not a string; quote it: \"{1}\"", key, value_text(value)));
    if (value.get<std::string>().find('\n') != std::string::npos)
      throw sweep_error(reading.file, position_of(element.source()),
                        fmt::format("[launch] {}: {} holds a line break", key, value_text(value)));
    strings.push_back(value.get<std::string>());
  }
  return strings;
}

// "name" or "name:slots" with a host name of letters, digits, '.', '_' and '-', and slots >= 1.
bool is_host_entry(const std::string& entry) {
  const auto colon = entry.find(':');
  const std::string name = entry.substr(0, colon);
  const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
  if (colon == std::string::npos) return name_ok;
  const std::string slots = entry.substr(colon + 1);
  return name_ok && !slots.empty() && slots.size() < 7 && std::all_of(slots.begin(), slots.end(), [](unsigned char c) { return std::isdigit(c); }) &&
         std::stoi(slots) >= 1;
}

void read_hosts(const toml::node& node, Reading& reading) {
  reading.plan.launch.hosts = read_strings("hosts", node, reading, "[\"node1:4\", \"node2:4\"]");
  const auto& array = *node.as_array();
  for (std::size_t i = 0; i < array.size(); ++i)
    if (!is_host_entry(reading.plan.launch.hosts[i]))
      throw sweep_error(reading.file, position_of(array[i].source()),
                        fmt::format("[launch] hosts: \"{}\" is not a host name with an optional slot count, "
                                    "e.g. \"node1:4\"",
                                    reading.plan.launch.hosts[i]));
  if (array.empty())
    throw sweep_error(reading.file, position_of(node.source()), "[launch] hosts = [] has no hosts");
}

// The hostfile, relative to the folder of the sweep file; it must exist.
void read_hostfile(const toml::node& node, Reading& reading) {
  const json value = to_json(node, reading.file);
  if (!value.is_string() || value.get<std::string>().empty())
    throw sweep_error(reading.file, position_of(node.source()),
                      fmt::format("[launch] hostfile = {} must be the path of an Open MPI hostfile, e.g. "
                                  "hostfile = \"hosts.txt\"",
                                  value_text(value)));
  namespace fs = std::filesystem;
  const fs::path path = fs::path(reading.file).parent_path() / value.get<std::string>();
  if (!fs::is_regular_file(path))
    throw sweep_error(reading.file, position_of(node.source()),
                      fmt::format("[launch] hostfile = {}: no such file (looked for '{}')", value_text(value),
                                  path.string()));
  reading.plan.launch.hostfile = path.string();
}

void read_timeout(const toml::node& node, Reading& reading) {
  const json value = to_json(node, reading.file);
  std::optional<double> seconds;
  if (value.is_number()) seconds = value.get<double>();
  if (value.is_string()) seconds = duration_seconds(value.get<std::string>());
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0)
    throw sweep_error(reading.file, position_of(node.source()),
                      fmt::format("[launch] timeout = {} is not a duration; write seconds (90; 0 for no limit) "
                                  "or a string such as \"90s\", \"30m\", \"2h\" or \"1h30m\"",
                                  value_text(value)));
  if (*seconds > kMaxTimeoutSeconds)
    throw sweep_error(reading.file, position_of(node.source()),
                      fmt::format("[launch] timeout = {} is more than 365 days; write at most \"8760h\" "
                                  "(0 for no limit)",
                                  value_text(value)));
  reading.plan.launch.timeout_s = *seconds;
}

void read_jobs(const toml::node& node, Reading& reading) {
  const auto* jobs = node.as_integer();
  if (jobs == nullptr || jobs->get() < 1 || jobs->get() > kMaxRuns)
    throw sweep_error(reading.file, position_of(node.source()),
                      fmt::format("[launch] jobs = {} must be an integer from 1 to {}",
                                  value_text(to_json(node, reading.file)), kMaxRuns));
  reading.plan.launch.jobs = static_cast<int>(jobs->get());
}

void read_ranks(const toml::key& key, const toml::node& node, Reading& reading) {
  Choice& shared = reading.plan.shared;
  shared.settings["ranks"] = checked_value(*find_setting("ranks"), node, reading.file);
  shared.where["ranks"] = position_of(node.source());
  reading.claims.push_back({"ranks", "[launch] ranks", position_of(key.source()), Scope::EveryRun});
}

void read_oversubscribe(const toml::node& node, Reading& reading) {
  const auto* flag = node.as_boolean();
  if (flag == nullptr)
    throw sweep_error(reading.file, position_of(node.source()),
                      fmt::format("[launch] oversubscribe = {} must be true or false",
                                  value_text(to_json(node, reading.file))));
  reading.plan.launch.oversubscribe = flag->get();
}

std::string unknown_key_message(const toml::key& key) {
  const std::string suggestion = closest_name(key.str(), kLaunchKeys);
  return fmt::format("unknown key '{}' in [launch] ({})", key.str(),
                     suggestion.empty() ? fmt::format("it takes {}", fmt::join(kLaunchKeys, ", "))
                                        : "did you mean '" + suggestion + "'?");
}

}  // namespace

void read_launch(const toml::table& table, Reading& reading) {
  std::map<std::string, SourcePosition> keys;  // where each key was given
  for (const auto& [key, node] : in_file_order(table)) {
    const std::string_view name = key->str();
    keys[std::string(name)] = position_of(key->source());
    if (name == "launcher") {
      reading.plan.launch.launcher = read_choice("launcher", kLauncherNames, *node, reading);
    } else if (name == "mpirun_args") {
      reading.plan.launch.mpirun_args = read_strings("mpirun_args", *node, reading, "[\"--oversubscribe\"]");
    } else if (name == "hosts") {
      read_hosts(*node, reading);
    } else if (name == "hostfile") {
      read_hostfile(*node, reading);
    } else if (name == "sbatch_args") {
      reading.plan.launch.sbatch_args =
          read_strings("sbatch_args", *node, reading, "[\"--partition=gpu\", \"--time=01:00:00\"]");
    } else if (name == "timeout") {
      read_timeout(*node, reading);
    } else if (name == "jobs") {
      read_jobs(*node, reading);
    } else if (name == "gpu_policy") {
      reading.plan.launch.gpu_policy = read_choice("gpu_policy", hardware::kGpuPolicyNames, *node, reading);
    } else if (name == "ranks") {
      read_ranks(*key, *node, reading);
    } else if (name == "oversubscribe") {
      read_oversubscribe(*node, reading);
    } else {
      throw sweep_error(reading.file, position_of(key->source()), unknown_key_message(*key));
    }
  }
  if (keys.count("hosts") && keys.count("hostfile")) {
    const auto& [first, second] = keys.at("hosts").line < keys.at("hostfile").line
                                      ? std::pair<std::string, std::string>{"hosts", "hostfile"}
                                      : std::pair<std::string, std::string>{"hostfile", "hosts"};
    throw sweep_error(reading.file, keys.at(second),
                      fmt::format("[launch] has both {} (line {}) and {} (line {}); keep one", first,
                                  keys.at(first).line, second, keys.at(second).line));
  }
  const Launcher launcher = reading.plan.launch.launcher;
  for (const auto& [key, for_launcher] : std::vector<std::pair<std::string, Launcher>>{
           {"mpirun_args", Launcher::Mpirun}, {"hosts", Launcher::Mpirun}, {"hostfile", Launcher::Mpirun},
           {"gpu_policy", Launcher::Mpirun}, {"sbatch_args", Launcher::Sbatch}})
    if (keys.count(key) && launcher != for_launcher)
      throw sweep_error(reading.file, keys.at(key),
                        fmt::format("[launch] {} is for launcher = \"{}\", not \"{}\"", key, to_string(for_launcher),
                                    to_string(launcher)));
}

}  // namespace iddl::matrix
