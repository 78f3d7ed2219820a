// What charts read of folded runs: a group's label, a metric's mean over the group, and the axis a
// metric is drawn on.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/grouping.hpp"
#include "reports/run_set.hpp"
#include "reports/svg_chart.hpp"

namespace iddl::reports {

// "setting=value, ..." of the group's fields (axes by their label); "" without fields.
std::string group_label(const std::vector<Field>& fields, const Group& group);

// The mean over the group's runs of a number metric, a runs column (results/fields.hpp) or a
// named metric (run_metrics), as drawn: fractions in percent. nullopt when no run has it.
std::optional<double> group_mean(const Group& group, const std::string& metric);

// The axis of a metric: its header and unit in the label ("test accuracy (%)"), the tick format of
// its unit, log scale (said in the label) when asked.
AxisSpec metric_axis(const std::string& metric, bool log);

}  // namespace iddl::reports
