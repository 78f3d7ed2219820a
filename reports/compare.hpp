// Two sweeps, or two groups of runs, side by side.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/metric_columns.hpp"
#include "reports/run_set.hpp"
#include "reports/table.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// The done runs of sides a and b matched row by row on the settings that vary within either
// side (seed excluded; each side's repeats folded): those settings, "runs (A)", "runs (B)", then
// per metric of the columns list (parse_metric_list, with the named metrics of either side; unset:
// default_metrics()) "<header> (A)", "<header> (B)" (mean ± std) and "<header> (B - A)" (difference of
// the means; accuracy in percentage points). A's rows come first in A's order, then rows only B
// has; a row one side lacks has empty cells there. Each side needs its sweep set.
Table compare_table(results::Database& db, const Selection& a, const Selection& b,
                    const std::optional<std::string>& columns);

// How a side is named above the table: "demo", or "demo where ranks = 2".
std::string describe(const Selection& side);

}  // namespace iddl::reports
