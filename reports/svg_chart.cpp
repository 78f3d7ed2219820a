#include "reports/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace iddl::reports {

namespace {

// Panel geometry in pixels.
constexpr double kPanelWidth = 440;
constexpr double kPanelHeight = 320;
constexpr double kMarginLeft = 66;
constexpr double kMarginRight = 18;
constexpr double kMarginTop = 36;
constexpr double kMarginBottom = 50;
constexpr double kPadding = 10;
// Legend geometry: a row per line of entries, the sample line, and an estimate of text width.
constexpr double kLegendRow = 20;
constexpr double kLegendSample = 28;
constexpr double kCharWidth = 6.6;
// Lines of at most this many points get a marker on each point.
constexpr size_t kMarkedPoints = 30;
constexpr int kTickTarget = 5;
// Share of the data span left free at each end, so no point sits on the frame.
constexpr double kDataPadding = 0.02;

// Tableau 10: distinct hues that stay apart in print and for most colour-vision deficiencies.
const std::array<const char*, 10> kColours = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                              "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
const std::array<const char*, 3> kDashes = {"", "7 4", "2 3"};

// A value range and its ticks.
struct Axis {
  double low = 0;
  double high = 1;
  std::vector<double> ticks;
  double step = 1;
};

std::string escaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string px(double value) { return fmt::format("{:.1f}", value); }

double nice_step(double span, int target, double min_step) {
  const double raw = span > 0 ? span / target : 1;
  const double power = std::pow(10, std::floor(std::log10(raw)));
  double step = 10 * power;
  for (const double factor : {1.0, 2.0, 5.0}) {
    if (factor * power >= raw) {
      step = factor * power;
      break;
    }
  }
  return std::max(step, min_step);
}

// The multiples of step within [low, high].
std::vector<double> ticks_every(double low, double high, double step) {
  std::vector<double> ticks;
  for (double k = std::ceil(low / step - 1e-9); k * step <= high + step * 1e-9; k += 1) {
    ticks.push_back(std::abs(k) < 0.5 ? 0.0 : k * step);
  }
  return ticks;
}

// A tick label with as many decimals as the step needs.
std::string tick_label(double value, double step) {
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f}", std::abs(value) < step * 1e-9 ? 0.0 : value, decimals);
}

// The data range of one coordinate over every series (x when x, else y), padded at both ends.
std::pair<double, double> data_range(const std::vector<Series>& series, bool x) {
  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  for (const Series& line : series) {
    for (const auto& point : line.points) {
      low = std::min(low, x ? point.first : point.second);
      high = std::max(high, x ? point.first : point.second);
    }
  }
  if (low > high) return {0, 1};
  const double pad = low == high ? std::max(std::abs(low) * 0.05, 0.5) : (high - low) * kDataPadding;
  return {low - pad, high + pad};
}

// x: the data range, ticks inside it.
Axis x_axis(const Panel& panel) {
  const auto [low, high] = data_range(panel.series, true);
  const double step = nice_step(high - low, kTickTarget, panel.x_min_step);
  return Axis{low, high, ticks_every(low, high, step), step};
}

// y: the data range widened to whole ticks.
Axis y_axis(const Panel& panel) {
  const auto [low, high] = data_range(panel.series, false);
  const double step = nice_step(high - low, kTickTarget, 0);
  Axis axis{std::floor(low / step + 1e-9) * step, std::ceil(high / step - 1e-9) * step, {}, step};
  axis.ticks = ticks_every(axis.low, axis.high, step);
  return axis;
}

// Where data coordinates land inside a panel's plot area.
struct Frame {
  double left, right, top, bottom;
  Axis x, y;
  double to_x(double value) const { return left + (value - x.low) / (x.high - x.low) * (right - left); }
  double to_y(double value) const { return bottom - (value - y.low) / (y.high - y.low) * (bottom - top); }
};

std::string stroke_style(size_t index) {
  const std::string dash = kDashes[index / kColours.size() % kDashes.size()];
  return fmt::format("stroke=\"{}\" stroke-width=\"2\"{}", kColours[index % kColours.size()],
                     dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"");
}

std::string marker(double x, double y, size_t index) {
  return fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"/>\n", px(x), px(y),
                     kColours[index % kColours.size()]);
}

std::string axes_and_grid(const Frame& frame) {
  std::string svg;
  for (const double tick : frame.y.ticks) {
    const double y = frame.to_y(tick);
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e6e6e6\"/>\n", px(frame.left), px(y),
                       px(frame.right), px(y));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" dominant-baseline=\"middle\" "
                       "fill=\"#333\">{}</text>\n",
                       px(frame.left - 6), px(y), tick_label(tick, frame.y.step));
  }
  for (const double tick : frame.x.ticks) {
    const double x = frame.to_x(tick);
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n", px(x), px(frame.bottom),
                       px(x), px(frame.bottom + 5));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">{}</text>\n",
                       px(x), px(frame.bottom + 18), tick_label(tick, frame.x.step));
  }
  svg += fmt::format("<path fill=\"none\" stroke=\"#333\" d=\"M{},{} V{} H{}\"/>\n", px(frame.left), px(frame.top),
                     px(frame.bottom), px(frame.right));
  return svg;
}

// Whether the lines of the panels are short enough for a marker on each point.
bool marked(const std::vector<Panel>& panels) {
  size_t longest = 0;
  for (const Panel& panel : panels) {
    for (const Series& line : panel.series) longest = std::max(longest, line.points.size());
  }
  return longest <= kMarkedPoints;
}

std::string lines(const Frame& frame, const std::vector<Series>& series, bool markers) {
  std::string svg;
  for (size_t i = 0; i < series.size(); ++i) {
    std::string points;
    for (const auto& [x, y] : series[i].points)
      points += (points.empty() ? "" : " ") + px(frame.to_x(x)) + "," + px(frame.to_y(y));
    svg +=
        fmt::format("<polyline fill=\"none\" {} stroke-linejoin=\"round\" points=\"{}\"><title>{}</title></polyline>\n",
                    stroke_style(i), points, escaped(series[i].label));
    if (!markers) continue;
    for (const auto& [x, y] : series[i].points) svg += marker(frame.to_x(x), frame.to_y(y), i);
  }
  return svg;
}

std::string panel_svg(const Panel& panel, double left_edge, bool markers) {
  const Frame frame{left_edge + kMarginLeft, left_edge + kPanelWidth - kMarginRight, kMarginTop,
                    kPanelHeight - kMarginBottom, x_axis(panel), y_axis(panel)};
  std::string svg = "<g>\n";
  svg += fmt::format("<text x=\"{}\" y=\"22\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\" "
                     "fill=\"#111\">{}</text>\n",
                     px((frame.left + frame.right) / 2), escaped(panel.title));
  svg += axes_and_grid(frame);
  svg += lines(frame, panel.series, markers);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#111\">{}</text>\n",
                     px((frame.left + frame.right) / 2), px(kPanelHeight - 12), escaped(panel.x_label));
  const double label_x = left_edge + 16;
  const double label_y = (frame.top + frame.bottom) / 2;
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#111\" "
                     "transform=\"rotate(-90 {} {})\">{}</text>\n",
                     px(label_x), px(label_y), px(label_x), px(label_y), escaped(panel.y_label));
  return svg + "</g>\n";
}

// Legend entries in columns of equal width, as many per row as fit.
struct LegendLayout {
  size_t per_row;
  double column_width;
  size_t rows;
};

LegendLayout legend_layout(const std::vector<Series>& series, double width) {
  size_t longest = 0;
  for (const Series& line : series) longest = std::max(longest, line.label.size());
  const double column_width = kLegendSample + 8 + static_cast<double>(longest) * kCharWidth + 20;
  const size_t per_row = std::max<size_t>(1, static_cast<size_t>((width - 2 * kPadding) / column_width));
  return {per_row, column_width, (series.size() + per_row - 1) / per_row};
}

std::string legend_svg(const std::vector<Series>& series, const LegendLayout& layout, double top, bool markers) {
  std::string svg = "<g>\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const double x = kPadding + kMarginLeft / 2 + static_cast<double>(i % layout.per_row) * layout.column_width;
    const double y = top + static_cast<double>(i / layout.per_row) * kLegendRow + kLegendRow / 2;
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {}/>\n", px(x), px(y), px(x + kLegendSample),
                       px(y), stroke_style(i));
    if (markers) svg += marker(x + kLegendSample / 2, y, i);
    svg +=
        fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" dominant-baseline=\"middle\" fill=\"#111\">{}</text>\n",
                    px(x + kLegendSample + 8), px(y), escaped(series[i].label));
  }
  return svg + "</g>\n";
}

}  // namespace

std::vector<double> nice_ticks(double low, double high, int target, double min_step) {
  return ticks_every(low, high, nice_step(high - low, target, min_step));
}

std::string render_svg(const std::vector<Panel>& panels) {
  const double width = 2 * kPadding + kPanelWidth * static_cast<double>(panels.size());
  const std::vector<Series> legend = panels.empty() ? std::vector<Series>{} : panels.front().series;
  const LegendLayout layout = legend_layout(legend, width);
  const double height = kPanelHeight + static_cast<double>(layout.rows) * kLegendRow + 2 * kPadding;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"Helvetica, Arial, sans-serif\">\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      px(width), px(height));
  const bool markers = marked(panels);
  for (size_t i = 0; i < panels.size(); ++i) {
    svg += panel_svg(panels[i], kPadding + kPanelWidth * static_cast<double>(i), markers);
  }
  svg += legend_svg(legend, layout, kPanelHeight + kPadding / 2, markers);
  return svg + "</svg>\n";
}

}  // namespace iddl::reports
