// The table reports: per sweep in markdown (table, failures, counts and hardware), or one CSV
// table; done runs folded into rows.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>

#include "reports/run_set.hpp"
#include "reports/run_table.hpp"
#include "reports/table.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// What a table report covers and how its table is laid out.
struct ReportOptions {
  Selection selection;
  TableLayout layout;
  bool human = false;  // CSV: the markdown's display strings ("82.40%", "7.98 MiB") instead of raw numbers
};

// The table of a sweep's done runs: the settings that vary among them, then runs, epochs,
// training time, test accuracy, params, FLOPs, bytes sent and bandwidth; runs differing only
// by seed share one row (mean ± std). Throws when the sweep is not in the database.
Table sweep_table(results::Database& db, const std::string& sweep);

// Run id -> its GPUs as "Tesla V100-SXM2-16GB x2 (15.78 GiB), CUDA 11.4, driver 470.57.02", for the
// selected runs that recorded a GPU name.
std::map<int64_t, std::string> gpu_facts(results::Database& db, const Selection& selection);

// Writes, for each selected sweep (in creation order; with a where expression, only sweeps
// holding a selected run): a "## name" heading, the table of its selected done runs, a list item
// "failed: key (status): error" per selected failed, timed-out or interrupted run, and a line
// with the selected runs' counts by status and hardware (host, BLAS library and kernel, torch).
// Nothing is written when it throws.
void write_markdown_report(std::ostream& out, results::Database& db, const ReportOptions& options);

// write_markdown_report of the named sweep or every sweep, default layout.
void write_markdown_report(std::ostream& out, results::Database& db, const std::optional<std::string>& sweep);

// Writes one CSV table of the selected done runs of every selected sweep: a leading "sweep"
// column, then as the markdown table (settings varying over the whole selection), numeric unless
// options.human: each metric as its raw mean under its column name (test_accuracy a fraction in
// [0, 1], train_time_s seconds, bytes_sent bytes) followed by "<column>_std".
void write_csv_report(std::ostream& out, results::Database& db, const ReportOptions& options);

}  // namespace iddl::reports
