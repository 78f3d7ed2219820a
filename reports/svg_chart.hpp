// Charts as SVG text: panels side by side, each with axes (linear, log or categories), readable
// ticks, lines, scatter points and reference lines, and one legend below them.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace iddl::reports {

// How an axis maps values: proportionally, or by their logarithm (values <= 0 are not drawn).
enum class Scale { Linear, Log };

// How tick values are written: 0.25; 1k, 1M, 1G; 1 KiB, 1 MiB, 1 GiB; 450ms, 12.3s, 1m54s; 80%
// (the values are percentages already).
enum class TickFormat { Number, Count, Bytes, Seconds, Percent };

// One axis of a panel.
struct AxisSpec {
  std::string label = {};               // with its unit, e.g. "bytes sent (log scale)"
  Scale scale = Scale::Linear;
  TickFormat format = TickFormat::Number;
  double min_step = 0;                  // the smallest linear tick interval (1 for epochs)
  std::vector<std::string> categories = {};  // when set: values are indices into it, one tick per name
};

// How a series is drawn: a line (with a marker on each point when lines are short), markers
// only, or a grey dashed line outside the palette (an ideal to compare with).
enum class Style { Line, Scatter, Reference };

// One series: its legend label, its points (a line's x ascending) and how it is drawn.
struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points = {};
  Style style = Style::Line;
  std::vector<std::string> point_titles = {};  // hover text of each point; empty: "label: x, y"
};

// One panel: a title, its axes and its series. Series i of every panel is drawn in style i.
struct Panel {
  std::string title;
  AxisSpec x = {};
  AxisSpec y = {};
  std::vector<Series> series = {};
};

// A tick of an axis: where it is and its text.
struct Tick {
  double value;
  std::string label;
};

// Ticks within [low, high] at the multiples of a 1-2-5 step (at least min_step) that cuts the
// span into about target intervals.
std::vector<double> nice_ticks(double low, double high, int target, double min_step = 0);

// The ticks of an axis over the data range [low, high] (low > 0 on a log axis): linear ones at a
// 1-2-5 step (bytes: of the binary unit), log ones at powers of ten (bytes: of two, 1 KiB, 1 MiB,
// 1 GiB when the range is wide) thinned to at most 8, labels written in the axis's format.
std::vector<Tick> axis_ticks(double low, double high, const AxisSpec& axis);

// The Okabe–Ito colours, in the order series take them (colour-blind safe).
const std::vector<std::string>& palette();

// An SVG document with a <title> of the panels' titles: the panels side by side, each with a
// <title>, axes with ticks and labels, a light grid, one <polyline> per line or reference series
// (the only polylines), one marker with a <title> per scatter point (and per point of lines when
// they are short: at most 30 points each and 600 in all), a note of the points a log axis cannot
// show, and below the panels one legend of the first panel's series (its first 24, then how many
// more there are). Styles: the palette's colours, then the same colours dashed (lines) or as
// squares, triangles and diamonds (markers).
std::string render_svg(const std::vector<Panel>& panels);

}  // namespace iddl::reports
