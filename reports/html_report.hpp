// The HTML report: one self-contained page (inline CSS, SVG and a small sort script) with, per sweep,
// the table of its done runs (sortable), its charts, its failed runs and its hardware and software.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "reports/run_set.hpp"
#include "reports/run_table.hpp"
#include "reports/table.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// A table whose cells also carry the raw value a click on their column sorts by.
struct SortableTable {
  Table table;                                // the display cells, as the markdown report's
  std::vector<std::vector<std::string>> keys;  // per row and column: the raw value (a number as text, or the text)
};

// One chart of a page: its caption and an SVG document.
struct PageChart {
  std::string title;
  std::string svg;
};

// A run that failed, timed out or was interrupted, and why.
struct FailedRun {
  std::string key, status, error;
};

// The parts of one sweep's section of the page.
struct SweepSection {
  std::string name;
  std::string counts;  // "4 done, 1 failed"
  SortableTable table;
  std::vector<PageChart> charts;    // learning curves
  std::vector<PageChart> tradeoffs;  // the trade-off charts that fit the sweep (tradeoff_charts.hpp)
  std::vector<FailedRun> failures;
  std::vector<std::pair<std::string, std::string>> environment;  // ("CPU", "Intel Xeon ... (2 cores)"), ...
};

// The folded table of the runs as the markdown report lays it out, each cell with its raw value
// (the numeric layout's mean; a setting's value).
SortableTable sortable_table(const RunSet& set, const std::vector<const StoredRun*>& runs, const TableLayout& layout);

// The learning curves of a sweep's done runs: test accuracy and train loss against epoch and
// against training time; none when no done run recorded an epoch, the time charts only when some
// run recorded epoch times.
std::vector<PageChart> curve_charts(results::Database& db, const std::string& sweep);

// The distinct values of what the sweep's runs recorded of their machine and software: CPU, GPU,
// threads, BLAS (library and kernel), torch, MPI, compiler, IDDL commit and host; facts no run
// recorded are left out.
std::vector<std::pair<std::string, std::string>> environment_facts(results::Database& db, const std::string& sweep);

// The section of a sweep: its table, curves, trade-off charts, failed runs and environment. Throws when the sweep is unknown.
SweepSection sweep_section(results::Database& db, const std::string& sweep);

// The HTML of one section; `index` makes its element ids unique on the page.
std::string render_section(const SweepSection& section, size_t index);

// Writes the whole page of the named sweeps (every sweep, in creation order, when none is named).
// Nothing is written when it throws.
void write_html_report(std::ostream& out, results::Database& db, const std::vector<std::string>& sweeps);

}  // namespace iddl::reports
