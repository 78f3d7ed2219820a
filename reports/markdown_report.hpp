// The markdown report: one table per sweep of its done runs, folded over seeds.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "reports/table.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// The table of a sweep's done runs: the settings that vary among them, then runs, epochs,
// training time, test accuracy, params, FLOPs, bytes sent and bandwidth; runs differing only
// by seed share one row (mean ± std). Throws when the sweep is not in the database.
Table sweep_table(results::Database& db, const std::string& sweep);

// Writes, for the named sweep or every sweep (in creation order): a "## name" heading, its
// table, a list item "failed: key (status): error" per failed, timed-out or interrupted run, and
// a line with the counts by status and the hardware (host, BLAS library and kernel, torch).
void write_markdown_report(std::ostream& out, results::Database& db, const std::optional<std::string>& sweep);

}  // namespace iddl::reports
