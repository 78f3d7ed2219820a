// Two sweeps, or two groups of runs, side by side.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/baseline.hpp"
#include "reports/metric_columns.hpp"
#include "reports/run_set.hpp"
#include "reports/sort_order.hpp"
#include "reports/table.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// How a comparison is laid out.
struct CompareLayout {
  std::optional<std::string> columns;    // metric columns (parse_metric_list); unset: default_metrics()
  std::vector<std::string> group_by;     // match rows on these settings; empty: those varying within either side
  std::optional<SortOrder> sort;         // row order; unset: A's rows, then the rows only B has
  bool numeric = false;                  // machine format: raw means, headers "<column>_a", "_b", "_diff"
  std::optional<Baseline> baseline;      // each side's rows against their baseline (BaselineRuns), per side
};

// The done runs of sides a and b matched row by row on the grouping settings (seed excluded; each
// side's repeats folded): those settings, "runs (A)", "runs (B)", then per metric of the columns
// list (with the named metrics of either side) "<header> (A)", "<header> (B)" (mean ± std) and
// "<header> (B - A)" (difference of the means; accuracy in percentage points), then with a baseline
// its columns for A and for B. A's rows come first in A's order, then rows only B has, unless
// sorted: by a grouping setting, "runs" (A's) or a metric (A's mean, else B's). A row one side lacks
// has empty cells there. Each side needs its sweep set; an unknown name throws std::invalid_argument.
Table compare_table(results::Database& db, const Selection& a, const Selection& b, const CompareLayout& layout);

// How a side is named above the table: "demo", or "demo where ranks = 2".
std::string describe(const Selection& side);

}  // namespace iddl::reports
