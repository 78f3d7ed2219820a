#include "matrix/expand.hpp"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "matrix/config.hpp"
#include "matrix/run_key.hpp"
#include "matrix/setting_values.hpp"
#include "matrix/settings.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

// One run before resolution and repeats: the choices it takes on top of the shared settings.
struct Candidate {
  std::vector<const Choice*> choices;  // one per dimension, or the one [[include]] table
  bool included = false;
};

void check_run_count(const SweepPlan& plan) {
  long long count = plan.repeats;
  for (const auto& dimension : plan.dimensions) {
    count *= static_cast<long long>(dimension.choices.size());
    if (count > kMaxRuns)
      throw sweep_error(plan.file, dimension.choices.front().position,
                        fmt::format("{} takes the sweep past {} runs", dimension.label, kMaxRuns));
  }
  for (const auto& include : plan.includes) {
    count += plan.repeats;
    if (count > kMaxRuns)
      throw sweep_error(plan.file, include.position, fmt::format("[[include]] takes the sweep past {} runs", kMaxRuns));
  }
}

// Every combination of one choice per dimension, the first dimension changing slowest.
std::vector<Candidate> combinations(const SweepPlan& plan) {
  std::vector<Candidate> all{Candidate{}};
  for (const auto& dimension : plan.dimensions) {
    std::vector<Candidate> longer;
    for (const auto& prefix : all)
      for (const auto& choice : dimension.choices) {
        longer.push_back(prefix);
        longer.back().choices.push_back(&choice);
      }
    all = std::move(longer);
  }
  return all;
}

// The settings of `c` before resolution: the shared settings overlaid with each of its choices.
json combined_config(const SweepPlan& plan, const Candidate& c) {
  json config = plan.shared.settings;
  for (const Choice* choice : c.choices) config.update(choice->settings);
  return config;
}

// `{model = "mlp", lr = 0.1}`: the values `c` chooses, prefixed with [[include]] for an included run.
std::string describe(const Candidate& c) {
  std::vector<std::string> parts;
  for (const Choice* choice : c.choices)
    for (const auto& [name, value] : choice->settings.items()) parts.push_back(name + " = " + value_text(value));
  return fmt::format("{}{{{}}}", c.included ? "[[include]] " : "", fmt::join(parts, ", "));
}

std::string describe_run(const SweepPlan& plan, const Candidate& c, int repeat) {
  return plan.repeats > 1 ? fmt::format("{} repeat {}", describe(c), repeat) : describe(c);
}

// Where the first of `names` that the file sets for `c` is written, preferring its choices over the shared settings.
SourcePosition blame(const SweepPlan& plan, const Candidate& c, const std::vector<std::string>& names) {
  for (const auto& name : names)
    for (const Choice* choice : c.choices)
      if (choice->where.count(name)) return choice->where.at(name);
  for (const auto& name : names)
    if (plan.shared.where.count(name)) return plan.shared.where.at(name);
  return SourcePosition{};
}

json resolve_candidate(const SweepPlan& plan, const Candidate& c) {
  try {
    return resolve_config(combined_config(plan, c));
  } catch (const ConfigError& e) {
    const std::string context = c.choices.empty() ? "" : "run " + describe(c) + ": ";
    throw sweep_error(plan.file, blame(plan, c, e.settings), context + e.what());
  }
}

// Whether `actual` is matched by `pattern`: equal, or for an axis value, equal on every field the pattern gives.
bool matches(const json& pattern, const json& actual) {
  if (!pattern.is_object()) return pattern == actual;
  for (const auto& [field, value] : pattern.items())
    if (!actual.contains(field) || actual[field] != value) return false;
  return true;
}

// Whether the unresolved settings `combined` take, for every setting of `exclusion`, one of its values.
bool excluded_by(const Exclusion& exclusion, const json& combined) {
  for (const auto& [name, patterns] : exclusion.patterns) {
    const Setting& s = *find_setting(name);
    const json actual = normalized_value(s, combined.contains(name) ? combined[name] : s.default_value);
    if (std::none_of(patterns.begin(), patterns.end(), [&](const json& p) { return matches(p, actual); }))
      return false;
  }
  return true;
}

// `all` without the combinations an [[exclude]] table matches; throws SweepError for a table that matches
// none, or when they remove every run.
std::vector<Candidate> without_exclusions(const SweepPlan& plan, std::vector<Candidate> all) {
  if (plan.exclusions.empty()) return all;
  std::vector<bool> used(plan.exclusions.size(), false);
  std::vector<Candidate> kept;
  for (auto& c : all) {
    const json combined = combined_config(plan, c);
    bool removed = false;
    for (std::size_t e = 0; e < plan.exclusions.size(); ++e)
      if (excluded_by(plan.exclusions[e], combined)) used[e] = removed = true;
    if (!removed) kept.push_back(std::move(c));
  }
  for (std::size_t e = 0; e < plan.exclusions.size(); ++e)
    if (!used[e])
      throw sweep_error(plan.file, plan.exclusions[e].position,
                        fmt::format("[[exclude]] {} removes no run: no planned combination takes all of these values",
                                    value_text(plan.exclusions[e].as_written)));
  if (kept.empty() && plan.includes.empty())
    throw sweep_error(plan.file, plan.exclusions.back().position, "the [[exclude]] tables remove every planned run");
  return kept;
}

// Where `b` is written apart from `a`: its first choice `a` does not take.
SourcePosition first_difference(const Candidate& a, const Candidate& b) {
  for (const Choice* choice : b.choices)
    if (std::find(a.choices.begin(), a.choices.end(), choice) == a.choices.end()) return choice->position;
  return SourcePosition{};
}

std::int64_t seed_of(const SweepPlan& plan, const json& resolved, int repeat) {
  return plan.seeds.empty() ? resolved["seed"].get<std::int64_t>() + repeat : plan.seeds[repeat];
}

// Every repeat of every candidate, resolved; throws SweepError for a config that does not resolve or a
// run with the same key as an earlier one.
std::vector<PlannedRun> planned_runs(const SweepPlan& plan, const std::vector<Candidate>& candidates) {
  struct Origin {
    const Candidate* candidate;
    int repeat;
  };
  std::unordered_map<std::string, Origin> origins;
  std::vector<PlannedRun> runs;
  for (const auto& c : candidates) {
    const json resolved = resolve_candidate(plan, c);
    for (int r = 0; r < plan.repeats; ++r) {
      PlannedRun run{"", r, resolved};
      run.config["seed"] = seed_of(plan, resolved, r);
      run.key = run_key(run.config);
      const auto [it, inserted] = origins.emplace(run.key, Origin{&c, r});
      if (!inserted)
        throw sweep_error(plan.file, first_difference(*it->second.candidate, c),
                          fmt::format("runs {} and {} have the same settings (run key {}); remove one",
                                      describe_run(plan, *it->second.candidate, it->second.repeat),
                                      describe_run(plan, c, r), run.key));
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

// The settings that take more than one value across `runs`: dimension settings in dimension order, then
// [[include]] settings, then "seed".
std::vector<std::string> varying_settings(const SweepPlan& plan, const std::vector<PlannedRun>& runs) {
  std::vector<std::string> candidates;
  for (const auto& dimension : plan.dimensions)
    candidates.insert(candidates.end(), dimension.settings.begin(), dimension.settings.end());
  for (const auto& include : plan.includes)
    for (const auto& [name, value] : include.settings.items()) candidates.push_back(name);
  candidates.push_back("seed");
  std::vector<std::string> varying;
  for (const auto& name : candidates) {
    const bool several = std::any_of(
        runs.begin(), runs.end(), [&](const PlannedRun& run) { return run.config[name] != runs.front().config[name]; });
    if (several && std::find(varying.begin(), varying.end(), name) == varying.end()) varying.push_back(name);
  }
  return varying;
}

}  // namespace

Sweep expand(const SweepPlan& plan) {
  check_run_count(plan);
  std::vector<Candidate> candidates = without_exclusions(plan, combinations(plan));
  for (const auto& include : plan.includes) candidates.push_back(Candidate{{&include}, true});
  Sweep sweep;
  sweep.name = plan.name;
  sweep.file = plan.file;
  sweep.repeats = plan.repeats;
  sweep.base = plan.base_table;
  sweep.runs = planned_runs(plan, candidates);
  sweep.varying = varying_settings(plan, sweep.runs);
  sweep.launch = plan.launch;
  return sweep;
}

}  // namespace iddl::matrix
