// Folding runs into groups: by named settings or runs columns, or by the settings that vary.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/metric_columns.hpp"
#include "reports/run_set.hpp"

namespace iddl::reports {

// What runs are grouped by: a setting of the config, or a runs column loaded into the run set.
struct Field {
  std::string name;
  bool from_config = true;
  size_t column = 0;  // index into RunSet::column_names when not from_config
};

// The named fields: a setting of some run's config first, else a loaded runs column; an unknown
// name throws std::invalid_argument naming it and the closest known one.
std::vector<Field> resolve_fields(const RunSet& set, const std::vector<std::string>& names);

// The settings whose values differ among the runs (seed ignored), as fields, in report order.
std::vector<Field> varying_fields(const RunSet& set, const std::vector<const StoredRun*>& runs);

// A run's value of a field: a setting in canonical form, or the column's value; null when missing.
nlohmann::json field_value(const RunSet& set, const StoredRun& run, const Field& field);

// Runs sharing one value of every field (and their sweep, when grouped by sweep).
struct Group {
  size_t sweep = 0;                   // the runs' sweep (index into RunSet::sweeps) when grouped by sweep
  std::vector<nlohmann::json> values;  // one per field
  std::vector<const StoredRun*> runs;  // in stored order
};

// The runs grouped by the fields (and by sweep when by_sweep), groups in order of their first run.
std::vector<Group> group_runs(const RunSet& set, const std::vector<const StoredRun*>& runs,
                              const std::vector<Field>& fields, bool by_sweep);

// The values the group's runs reported for a number metric, in run order (NULLs left out).
std::vector<double> metric_values(const Group& group, const Metric& metric);

// The group's cell of the metric: the spread of a number metric's values, the distinct values of a
// text metric in run order joined by ", " (empty and null values left out).
std::string metric_cell(const Group& group, const Metric& metric);

}  // namespace iddl::reports
