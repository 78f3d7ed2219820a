// iddl-report plot: any two stored metrics or settings of the done runs as one chart.
#pragma once

#include <optional>
#include <string>

#include "reports/run_set.hpp"
#include "reports/svg_chart.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// What to plot: each of x and y a setting of the configs (or an axis parameter, "parallelism.chunks"),
// a runs-column metric (results/fields.hpp) or a named metric (run_metrics); a setting or runs
// column to colour by; log axes.
struct PlotRequest {
  std::string x;
  std::string y;
  std::optional<std::string> color = std::nullopt;
  bool log_x = false;
  bool log_y = false;
};

// One point per setting combination of the done runs (repeats averaged; the settings plotted and
// coloured by split them too), one series per value of the color field ("color=value"; without it,
// one per sweep, named after it). A name is a setting when a config holds it, else a metric.
// Numbers draw on a numeric axis (fractions in percent), text values as categories in natural
// order. Points are joined by lines when x is a numeric setting and no series repeats an x value,
// else drawn as a scatter. Each point's title holds its settings, its run count and both values.
// Throws std::invalid_argument naming an unknown x, y or color and listing the valid settings and
// metrics, a log axis of text values or of no value above 0, and nothing to plot.
Panel plot_panel(const RunSet& set, const PlotRequest& request);

// render_svg of plot_panel over the selected runs (the color field loaded when it is a runs column).
std::string plot_svg(results::Database& db, const Selection& selection, const PlotRequest& request);

}  // namespace iddl::reports
