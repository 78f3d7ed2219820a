// The JSON report: every selected run as one object, not folded.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "reports/run_set.hpp"
#include "reports/sort_order.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// One array of the selected runs (any status), in stored order or sorted by a key of the objects.
// Each object holds every column of its runs row by name except id and sweep_id (the axes as
// their method names, every metric, NULL as null), the epochs' fields (epoch_time_s) as their
// mean over the run's epochs, "sweep" (its name), "metrics" (its named
// metrics, run_metrics name -> value, {} when none), "config" (the resolved
// config as an object, axis objects kept), and each config setting that is not a runs column.
// An unknown sort key throws std::invalid_argument naming the closest.
nlohmann::json runs_json(results::Database& db, const Selection& selection, const std::optional<SortOrder>& sort);

}  // namespace iddl::reports
