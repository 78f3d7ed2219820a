// Line charts as SVG text: panels side by side with axes, ticks, grid and a shared legend.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace iddl::reports {

// One line: its legend label and its points (x ascending).
struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;
};

// One panel: a title, axis labels and its lines. Series i of every panel is drawn in style i.
struct Panel {
  std::string title;
  std::string x_label;
  std::string y_label;
  double x_min_step = 0;  // the smallest x tick interval (1 for epochs)
  std::vector<Series> series;
};

// Ticks within [low, high] at the multiples of a 1-2-5 step (at least min_step) that cuts the
// span into about target intervals.
std::vector<double> nice_ticks(double low, double high, int target, double min_step = 0);

// An SVG document: the panels side by side, each with a title, axes with ticks and labels, a
// light grid and one <polyline> per series (the only polylines; a marker on each point when
// lines are short),
// and below them one legend of the first panel's series labels. Styles: 10 distinct colours,
// then the same colours dashed, then dotted.
std::string render_svg(const std::vector<Panel>& panels);

}  // namespace iddl::reports
