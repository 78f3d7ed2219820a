#include "matrix/expand.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include <fmt/format.h>

#include "matrix/run_key.hpp"
#include "matrix/settings.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;
using Combination = std::vector<std::size_t>;  // the index of the value taken from each axis

void check_run_count(const SweepPlan& plan) {
  long long count = plan.repeats;
  for (const auto& axis : plan.axes) {
    count *= static_cast<long long>(axis.values.size());
    if (count > kMaxRuns)
      throw sweep_error(plan.file, axis.values.front().position,
                        fmt::format("[matrix] {} takes the sweep past {} runs", axis.name, kMaxRuns));
  }
}

// Every combination of axis values, the first axis changing slowest.
std::vector<Combination> combinations(const SweepPlan& plan) {
  std::vector<Combination> all{Combination{}};
  for (const auto& axis : plan.axes) {
    std::vector<Combination> longer;
    for (const auto& prefix : all)
      for (std::size_t v = 0; v < axis.values.size(); ++v) {
        longer.push_back(prefix);
        longer.back().push_back(v);
      }
    all = std::move(longer);
  }
  return all;
}

const AxisValue& chosen(const SweepPlan& plan, const Combination& c, std::size_t axis) {
  return plan.axes[axis].values[c[axis]];
}

// The settings of `c` before resolution: [base] overlaid with each chosen axis value.
json combined_config(const SweepPlan& plan, const Combination& c) {
  json config = plan.base;
  for (std::size_t a = 0; a < plan.axes.size(); ++a) config.update(chosen(plan, c, a).settings);
  return config;
}

// "model = "mlp", parallelism = "sync", ranks = 2": the chosen values, each axis's own setting first.
std::string describe(const SweepPlan& plan, const Combination& c) {
  std::string text;
  for (std::size_t a = 0; a < plan.axes.size(); ++a) {
    const std::string& own = plan.axes[a].name;
    const json& values = chosen(plan, c, a).settings;
    std::vector<std::string> names{own};
    for (const auto& [name, value] : values.items())
      if (name != own) names.push_back(name);
    for (const auto& name : names) {
      if (!text.empty()) text += ", ";
      text += name + " = " + value_text(values[name]);
    }
  }
  return "{" + text + "}";
}

std::string describe_run(const SweepPlan& plan, const Combination& c, int repeat) {
  const std::string text = describe(plan, c);
  return plan.repeats > 1 ? fmt::format("{} repeat {}", text, repeat) : text;
}

// Where the first of `names` that the file sets for `c` is written, preferring [matrix] over [base].
SourcePosition blame(const SweepPlan& plan, const Combination& c, const std::vector<std::string>& names) {
  for (const auto& name : names)
    for (std::size_t a = 0; a < plan.axes.size(); ++a)
      if (const auto& value = chosen(plan, c, a); value.where.count(name)) return value.where.at(name);
  for (const auto& name : names)
    if (plan.base_where.count(name)) return plan.base_where.at(name);
  return SourcePosition{};
}

json resolve_combination(const SweepPlan& plan, const Combination& c) {
  try {
    return resolve_config(combined_config(plan, c));
  } catch (const ConfigError& e) {
    const std::string context = plan.axes.empty() ? "" : "run " + describe(plan, c) + ": ";
    throw sweep_error(plan.file, blame(plan, c, e.settings), context + e.what());
  }
}

// Where `b`'s value is written on the first axis where `a` and `b` take different values.
SourcePosition first_difference(const SweepPlan& plan, const Combination& a, const Combination& b) {
  for (std::size_t axis = 0; axis < plan.axes.size(); ++axis)
    if (a[axis] != b[axis]) return chosen(plan, b, axis).position;
  return SourcePosition{};
}

std::vector<std::string> varying_settings(const SweepPlan& plan) {
  std::vector<std::string> names;
  for (const auto& axis : plan.axes) names.push_back(axis.name);
  if (plan.repeats > 1 && std::find(names.begin(), names.end(), "seed") == names.end()) names.push_back("seed");
  return names;
}

}  // namespace

Sweep expand(const SweepPlan& plan) {
  check_run_count(plan);
  Sweep sweep;
  sweep.name = plan.name;
  sweep.file = plan.file;
  sweep.repeats = plan.repeats;
  sweep.base = plan.base;
  sweep.varying = varying_settings(plan);

  struct Origin {
    Combination combination;
    int repeat;
  };
  std::unordered_map<std::string, Origin> origins;
  for (const auto& c : combinations(plan)) {
    const json resolved = resolve_combination(plan, c);
    for (int r = 0; r < plan.repeats; ++r) {
      PlannedRun run{"", r, resolved};
      run.config["seed"] = resolved["seed"].get<std::int64_t>() + r;
      run.key = run_key(run.config);
      const auto [it, inserted] = origins.emplace(run.key, Origin{c, r});
      if (!inserted)
        throw sweep_error(plan.file, first_difference(plan, it->second.combination, c),
                          fmt::format("runs {} and {} have the same settings (run key {}); remove one",
                                      describe_run(plan, it->second.combination, it->second.repeat),
                                      describe_run(plan, c, r), run.key));
      sweep.runs.push_back(std::move(run));
    }
  }
  return sweep;
}

}  // namespace iddl::matrix
