#include "reports/grouping.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "reports/fold.hpp"
#include "reports/names.hpp"

namespace iddl::reports {

namespace {

bool has_setting(const RunSet& set, const std::string& name) {
  return std::any_of(set.settings.begin(), set.settings.end(),
                     [&](const nlohmann::json& settings) { return settings.contains(name); });
}

// Every name a field can have: the settings of the run set, then its loadable runs columns.
std::vector<std::string> field_candidates(const RunSet& set) {
  std::set<std::string> settings;
  for (const nlohmann::json& config : set.settings) {
    for (const auto& item : config.items()) settings.insert(item.key());
  }
  std::vector<std::string> names(settings.begin(), settings.end());
  names.insert(names.end(), set.column_names.begin(), set.column_names.end());
  return names;
}

// The part of a run's group key that its fields from the config decide (one per distinct settings).
std::vector<std::string> settings_keys(const RunSet& set, const std::vector<Field>& fields) {
  std::vector<std::string> keys;
  for (const nlohmann::json& settings : set.settings) {
    std::string key;
    for (const Field& field : fields) {
      if (field.from_config) key += canonical_setting(settings, field.name).dump() + '\x1f';
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace

std::vector<Field> resolve_fields(const RunSet& set, const std::vector<std::string>& names) {
  std::vector<Field> fields;
  for (const std::string& name : names) {
    if (has_setting(set, name)) {
      fields.push_back({name, true, 0});
      continue;
    }
    const auto column = std::find(set.column_names.begin(), set.column_names.end(), name);
    if (column == set.column_names.end()) {
      throw std::invalid_argument(unknown_name_message("setting or column", name, field_candidates(set)));
    }
    fields.push_back({name, false, static_cast<size_t>(column - set.column_names.begin())});
  }
  return fields;
}

std::vector<Field> varying_fields(const RunSet& set, const std::vector<const StoredRun*>& runs) {
  std::vector<bool> used(set.settings.size(), false);
  for (const StoredRun* run : runs) used[run->settings] = true;
  std::vector<nlohmann::json> configs;
  for (size_t i = 0; i < used.size(); ++i) {
    if (used[i]) configs.push_back(set.settings[i]);
  }
  std::vector<Field> fields;
  if (configs.empty()) return fields;
  for (const std::string& name : varying_settings(configs)) fields.push_back({name, true, 0});
  return fields;
}

nlohmann::json field_value(const RunSet& set, const StoredRun& run, const Field& field) {
  if (field.from_config) return canonical_setting(set.settings[run.settings], field.name);
  return run.columns[field.column];
}

std::vector<Group> group_runs(const RunSet& set, const std::vector<const StoredRun*>& runs,
                              const std::vector<Field>& fields, bool by_sweep) {
  const std::vector<std::string> from_settings = settings_keys(set, fields);
  std::vector<Group> groups;
  std::unordered_map<std::string, size_t> group_of_key;
  for (const StoredRun* run : runs) {
    std::string key = (by_sweep ? std::to_string(run->sweep) : std::string()) + '\x1e' + from_settings[run->settings];
    for (const Field& field : fields) {
      if (!field.from_config) key += run->columns[field.column].dump() + '\x1f';
    }
    const auto [entry, added] = group_of_key.emplace(std::move(key), groups.size());
    if (added) {
      Group group;
      group.sweep = run->sweep;
      for (const Field& field : fields) group.values.push_back(field_value(set, *run, field));
      groups.push_back(std::move(group));
    }
    groups[entry->second].runs.push_back(run);
  }
  return groups;
}

std::vector<double> metric_values(const Group& group, const Metric& metric) {
  std::vector<double> values;
  if (metric.named) {
    for (const StoredRun* run : group.runs) {
      const auto found = run->named_metrics.find(metric.column);
      if (found != run->named_metrics.end()) values.push_back(found->second);
    }
    return values;
  }
  const size_t index = metric_index(metric);
  for (const StoredRun* run : group.runs) {
    if (run->metrics[index].is_number()) values.push_back(run->metrics[index].get<double>());
  }
  return values;
}

std::string metric_cell(const Group& group, const Metric& metric) {
  if (!metric.text) return spread_cell(metric_values(group, metric), metric.format);
  const size_t index = metric_index(metric);
  std::vector<std::string> values;
  for (const StoredRun* run : group.runs) {
    const nlohmann::json& value = run->metrics[index];
    const std::string cell = value_cell(value);  // "" for null
    if (!cell.empty() && std::find(values.begin(), values.end(), cell) == values.end()) values.push_back(cell);
  }
  return fmt::format("{}", fmt::join(values, ", "));
}

}  // namespace iddl::reports
