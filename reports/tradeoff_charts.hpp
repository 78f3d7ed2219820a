// The trade-off charts of a sweep, chosen from the settings that vary among its done runs
// (docs/reports.md, "Trade-off charts").
#pragma once

#include <string>
#include <vector>

#include "reports/run_set.hpp"
#include "reports/svg_chart.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// One chart: its title, a name for files and anchors, and a standalone SVG document.
struct Chart {
  std::string title;
  std::string slug;  // the title in lower case, runs of other characters as '-': "test-accuracy-vs-bytes-sent"
  std::string svg;
};

// The panels of the charts that fit the done runs, one point per setting combination (repeats
// averaged), in this order:
// - compression or parallelism varies: test accuracy vs bytes sent (log x);
// - sparsification, vertical or model varies: test accuracy vs params, and vs FLOPs (log x when
//   they span 10x or more);
// - parallelism or ranks varies: throughput (samples_per_s) vs ranks, and vs a pipeline's chunks or
//   stages where those vary; then, where a run has one to compare with, speed-up over the
//   data-parallel run with the fewest ranks and the same other settings, with the ideal as a
//   reference line (linear for data parallelism, ranks·M/(M+K−1) for a pipeline of K stages and M chunks);
// - early-exit runs (exit_accuracy.K metrics): per-exit accuracy vs exit FLOPs, exit fraction per exit.
// A chart whose metrics no run recorded is left out; no done run: no charts.
std::vector<Panel> tradeoff_panels(const RunSet& set);

// The trade-off charts of one sweep of the database (tradeoff_panels, each rendered alone).
// Throws when the sweep is unknown.
std::vector<Chart> tradeoff_charts(results::Database& db, const std::string& sweep);

}  // namespace iddl::reports
