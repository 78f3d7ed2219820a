// The table of folded runs that the markdown and CSV reports print.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/baseline.hpp"
#include "reports/metric_columns.hpp"
#include "reports/run_set.hpp"
#include "reports/sort_order.hpp"
#include "reports/table.hpp"

namespace iddl::reports {

// How a table of folded runs is laid out.
struct TableLayout {
  std::vector<std::string> group_by;                        // fold by these; empty: by the settings that vary
  std::optional<std::string> columns;                       // metric columns (parse_metric_list); unset: default
  std::optional<SortOrder> sort;                            // row order; unset: order of each row's first run
  bool sweep_column = false;                                // a leading "sweep" column; no row spans sweeps
  bool numeric = false;  // machine format: raw numbers, headers by column name, a "<column>_std" column each
  std::optional<Baseline> baseline;                         // columns against this baseline (BaselineRuns)
};

// The layout's metric columns: its columns list resolved against the run set's named metrics, or
// default_metrics(). An unknown name throws std::invalid_argument naming the closest.
std::vector<Metric> layout_metrics(const RunSet& set, const TableLayout& layout);

// The metrics() columns the layout shows or sorts by (its named metrics aside): what load_runs
// needs to load for it.
std::vector<std::string> layout_metric_columns(const TableLayout& layout);

// The runs folded into rows: the sweep (when asked), the grouping settings (when they vary by
// themselves, the planned epochs are left to the epochs metric column; axis values show only the
// parameters off their defaults), "run" (the row's run keys) when no setting column is left, "runs"
// (how many runs the row folds), then each metric of layout_metrics as mean ± std over the row's
// runs (numeric: the mean, then its standard deviation in "<column>_std"), then the baseline's
// columns when given. A sort column is "sweep", "runs", a grouping setting, any metric or a named
// metric of the run set; an unknown one throws std::invalid_argument.
Table folded_table(const RunSet& set, const std::vector<const StoredRun*>& runs, const TableLayout& layout,
                   const BaselineRuns* baseline = nullptr);

}  // namespace iddl::reports
