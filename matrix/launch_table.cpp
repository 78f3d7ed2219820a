// [launch]: how iddl-sweep starts the runs, and the ranks of every run.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "matrix/sweep_reading.hpp"
#include "matrix/toml_values.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

const std::vector<std::string> kLaunchKeys{"launcher", "mpirun_args", "timeout", "jobs", "ranks"};

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
    total += std::stod(amount) * unit->second;
    next_unit = unit + 1;
    at = unit_at + 1;
  }
  return text.empty() ? std::nullopt : std::optional<double>(total);
}

void read_launcher(const toml::node& node, Reading& reading) {
  const json value = to_json(node, reading.file);
  if (value != "mpirun")
    throw sweep_error(reading.file, position_of(node.source()),
                      fmt::format("[launch] launcher = {} is not available; the only launcher so far is \"mpirun\"",
                                  value_text(value)));
  reading.plan.launch.launcher = "mpirun";
}

void read_mpirun_args(const toml::node& node, Reading& reading) {
  const auto* args = node.as_array();
  if (args == nullptr)
    throw sweep_error(reading.file, position_of(node.source()),
                      fmt::format("[launch] mpirun_args = {} must be an array of strings, e.g. "
                                  "mpirun_args = [\"--oversubscribe\"]",
                                  value_text(to_json(node, reading.file))));
  for (const auto& element : *args) {
    const json value = to_json(element, reading.file);
    if (!value.is_string())
      throw sweep_error(reading.file, position_of(element.source()),
                        fmt::format("[launch] mpirun_args: {0} is not a string; quote it: \"{0}\"", value_text(value)));
    reading.plan.launch.mpirun_args.push_back(value.get<std::string>());
  }
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

std::string unknown_key_message(const toml::key& key) {
  const std::string suggestion = closest_name(key.str(), kLaunchKeys);
  return fmt::format("unknown key '{}' in [launch] ({})", key.str(),
                     suggestion.empty() ? fmt::format("it takes {}", fmt::join(kLaunchKeys, ", "))
                                        : "did you mean '" + suggestion + "'?");
}

}  // namespace

void read_launch(const toml::table& table, Reading& reading) {
  for (const auto& [key, node] : in_file_order(table)) {
    const std::string_view name = key->str();
    if (name == "launcher") {
      read_launcher(*node, reading);
    } else if (name == "mpirun_args") {
      read_mpirun_args(*node, reading);
    } else if (name == "timeout") {
      read_timeout(*node, reading);
    } else if (name == "jobs") {
      read_jobs(*node, reading);
    } else if (name == "ranks") {
      read_ranks(*key, *node, reading);
    } else {
      throw sweep_error(reading.file, position_of(key->source()), unknown_key_message(*key));
    }
  }
}

}  // namespace iddl::matrix
