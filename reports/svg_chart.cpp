#include "reports/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "reports/format.hpp"
#include "reports/markup_escape.hpp"

namespace iddl::reports {

namespace {

// Panel geometry in pixels.
constexpr double kPanelWidth = 440;
constexpr double kPanelHeight = 320;
constexpr double kMarginLeft = 66;
constexpr double kMarginRight = 18;
constexpr double kMarginTop = 44;
constexpr double kMarginBottom = 50;
constexpr double kPadding = 10;
// Legend geometry: a row per line of entries, the sample line, and an estimate of text width.
constexpr double kLegendRow = 20;
constexpr double kLegendSample = 28;
constexpr double kCharWidth = 6.6;
constexpr size_t kLegendEntries = 24;  // past this many series, the legend names the first ones and counts the rest
// Lines of at most this many points get a marker on each point.
constexpr size_t kMarkedPoints = 30;
constexpr size_t kMarkedTotal = 600;  // lines are marked only while their points number at most this many in all
constexpr int kTickTarget = 5;
constexpr size_t kMaxLogTicks = 8;
// Share of the data span left free at each end, so no point sits on the frame.
constexpr double kDataPadding = 0.02;
constexpr double kLogPadding = 0.05;
constexpr const char* kReferenceColour = "#666666";

const std::vector<std::string> kPalette = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                           "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
const std::array<const char*, 3> kDashes = {"", "7 4", "2 3"};
enum class Shape { Circle, Square, Triangle, Diamond };
const std::array<Shape, 4> kShapes = {Shape::Circle, Shape::Square, Shape::Triangle, Shape::Diamond};

// A value range in drawing space (log10 of the values on a log axis) and its ticks.
struct Axis {
  double low = 0;
  double high = 1;
  bool log = false;
  std::vector<Tick> ticks;
  double to_space(double value) const { return log ? std::log10(value) : value; }
  bool drawable(double value) const { return std::isfinite(value) && (!log || value > 0); }
};

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

// The decimals a multiple of step needs.
int decimals_of(double step) { return std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9))); }

// A value with at most 3 significant digits and no trailing zeros: 1.5, 250, 0.25.
std::string significant(double value) { return fmt::format("{:.3g}", value); }

// 1k, 2.5M, 1G: a count by its SI prefix.
std::string count_label(double value) {
  static const std::array<const char*, 5> prefixes = {"", "k", "M", "G", "T"};
  size_t at = 0;
  double scaled = value;
  while (at + 1 < prefixes.size() && std::abs(scaled) >= 999.5) {
    scaled /= 1000;
    ++at;
  }
  return significant(scaled) + prefixes[at];
}

// 512 B, 1 KiB, 1.5 MiB: bytes by the binary unit.
std::string bytes_label(double value) {
  static const std::array<const char*, 6> units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  size_t at = 0;
  double scaled = value;
  while (at + 1 < units.size() && std::abs(scaled) >= 1023.5) {
    scaled /= 1024;
    ++at;
  }
  return significant(scaled) + " " + units[at];
}

// A tick's text in the axis's format; step: the linear step (0 on a log axis).
std::string tick_label(double value, double step, TickFormat format) {
  if (step > 0 && std::abs(value) < step * 1e-9) value = 0;
  switch (format) {
    case TickFormat::Count: return count_label(value);
    case TickFormat::Bytes: return bytes_label(value);
    case TickFormat::Seconds: return value == 0 ? "0s" : format_duration(value);
    case TickFormat::Percent:
      return (step > 0 ? fmt::format("{:.{}f}", value, decimals_of(step)) : significant(value)) + "%";
    case TickFormat::Number: break;
  }
  if (step > 0) return fmt::format("{:.{}f}", value, decimals_of(step));
  return std::abs(value) >= 999.5 ? count_label(value) : significant(value);  // log ticks: 1k, not 1e+03
}

// The linear step of an axis: 1-2-5 of the binary unit for bytes, else of the value.
double linear_step(double low, double high, const AxisSpec& axis) {
  if (axis.format != TickFormat::Bytes) return nice_step(high - low, kTickTarget, axis.min_step);
  const double size = std::max(std::abs(low), std::abs(high));
  const double unit = size >= 1024 ? std::pow(1024, std::floor(std::log(size) / std::log(1024))) : 1;
  return std::max(nice_step((high - low) / unit, kTickTarget, 0) * unit, axis.min_step);
}

// Powers of base within [low, high] at exponents that are multiples of a stride, thinned to at most
// kMaxLogTicks.
std::vector<double> power_ticks(double low, double high, double base, const std::vector<int>& strides) {
  const int first = static_cast<int>(std::ceil(std::log(low) / std::log(base) - 1e-9));
  const int last = static_cast<int>(std::floor(std::log(high) / std::log(base) + 1e-9));
  for (const int stride : strides) {
    std::vector<double> ticks;
    for (int n = first; n <= last; ++n)
      if (n % stride == 0) ticks.push_back(std::pow(base, n));
    if (ticks.size() <= kMaxLogTicks) return ticks;
  }
  return {};
}

// Log ticks: powers of ten (or of two for bytes); within a narrow range, 1-2-5 of each decade.
std::vector<double> log_tick_values(double low, double high, const AxisSpec& axis) {
  if (axis.format == TickFormat::Bytes) {
    std::vector<double> ticks = power_ticks(low, high, 2, {1, 2, 5, 10, 20, 30});
    if (ticks.size() >= 2) return ticks;
  } else {
    std::vector<double> ticks = power_ticks(low, high, 10, {1, 2, 3, 5, 10});
    if (ticks.size() >= 3) return ticks;
    ticks.clear();
    for (int n = static_cast<int>(std::floor(std::log10(low))); n <= static_cast<int>(std::ceil(std::log10(high))); ++n)
      for (const double factor : {1.0, 2.0, 5.0})
        if (const double value = factor * std::pow(10, n); value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9))
          ticks.push_back(value);
    if (ticks.size() >= 2) return ticks;
  }
  return ticks_every(low, high, linear_step(low, high, axis));
}

// The data range of one coordinate over every series (x when x), only values the axis can draw.
std::pair<double, double> data_range(const std::vector<Series>& series, bool x, const AxisSpec& spec) {
  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  for (const Series& line : series) {
    for (const auto& point : line.points) {
      const double value = x ? point.first : point.second;
      if (!std::isfinite(value) || (spec.scale == Scale::Log && value <= 0)) continue;
      low = std::min(low, value);
      high = std::max(high, value);
    }
  }
  if (low > high) return spec.scale == Scale::Log ? std::pair{1.0, 10.0} : std::pair{0.0, 1.0};
  return {low, high};
}

// An axis over the panel's data: categories at their indices; log padded in log space; linear x
// padded a little, linear y widened to whole ticks.
Axis make_axis(const Panel& panel, bool x) {
  const AxisSpec& spec = x ? panel.x : panel.y;
  Axis axis;
  if (!spec.categories.empty()) {
    axis.low = -0.5;
    axis.high = static_cast<double>(spec.categories.size()) - 0.5;
    for (size_t i = 0; i < spec.categories.size(); ++i) axis.ticks.push_back({double(i), spec.categories[i]});
    return axis;
  }
  auto [low, high] = data_range(panel.series, x, spec);
  if (spec.scale == Scale::Log) {
    axis.log = true;
    const double span = std::max(std::log10(high) - std::log10(low), 0.5);
    axis.low = std::log10(low) - span * kLogPadding;
    axis.high = std::log10(high) + span * kLogPadding;
    if (high == low) axis.low = std::log10(low) - 0.25, axis.high = std::log10(low) + 0.25;
    for (const double value : log_tick_values(std::pow(10, axis.low), std::pow(10, axis.high), spec))
      axis.ticks.push_back({value, tick_label(value, 0, spec.format)});
    return axis;
  }
  const double pad = low == high ? std::max(std::abs(low) * 0.05, 0.5) : (high - low) * kDataPadding;
  low -= pad;
  high += pad;
  const double step = linear_step(low, high, spec);
  if (!x) {
    const auto [data_low, data_high] = data_range(panel.series, x, spec);
    low = std::floor(low / step + 1e-9) * step;
    high = std::ceil(high / step - 1e-9) * step;
    if (data_low >= 0) low = std::max(low, 0.0);  // no negative ticks for values that cannot be
    if (spec.format == TickFormat::Percent && data_high <= 100) high = std::min(high, 100.0);
  }
  axis.low = low;
  axis.high = high;
  for (const double value : ticks_every(low, high, step)) axis.ticks.push_back({value, tick_label(value, step, spec.format)});
  return axis;
}

// Where data coordinates land inside a panel's plot area.
struct Frame {
  double left, right, top, bottom;
  Axis x, y;
  double to_x(double value) const {
    return left + (x.to_space(value) - x.low) / (x.high - x.low) * (right - left);
  }
  double to_y(double value) const {
    return bottom - (y.to_space(value) - y.low) / (y.high - y.low) * (bottom - top);
  }
  bool drawable(const std::pair<double, double>& point) const {
    return x.drawable(point.first) && y.drawable(point.second);
  }
};

// A series' colour and shape index among the palette series (references are not counted).
std::vector<size_t> style_indices(const std::vector<Series>& series) {
  std::vector<size_t> indices;
  size_t next = 0;
  for (const Series& line : series) indices.push_back(line.style == Style::Reference ? 0 : next++);
  return indices;
}

const std::string& colour(size_t index) { return kPalette[index % kPalette.size()]; }

std::string stroke_style(const Series& series, size_t index) {
  if (series.style == Style::Reference)
    return fmt::format("stroke=\"{}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"", kReferenceColour);
  const std::string dash = kDashes[index / kPalette.size() % kDashes.size()];
  return fmt::format("stroke=\"{}\" stroke-width=\"2\"{}", colour(index),
                     dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"");
}

// A marker at (x, y) in the series' colour and shape, with a hover title when one is given.
std::string marker(double x, double y, size_t index, const std::string& title) {
  const std::string inner = title.empty() ? "" : "<title>" + markup_escape(title) + "</title>";
  const std::string fill = fmt::format("fill=\"{}\" stroke=\"white\" stroke-width=\"0.8\"", colour(index));
  const std::string end = inner.empty() ? "/>\n" : ">" + inner;
  switch (kShapes[index / kPalette.size() % kShapes.size()]) {
    case Shape::Circle:
      return fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4\" {}{}", px(x), px(y), fill, end) +
             (inner.empty() ? "" : "</circle>\n");
    case Shape::Square:
      return fmt::format("<rect x=\"{}\" y=\"{}\" width=\"8\" height=\"8\" {}{}", px(x - 4), px(y - 4), fill, end) +
             (inner.empty() ? "" : "</rect>\n");
    case Shape::Triangle:
      return fmt::format("<path d=\"M{},{} L{},{} L{},{} Z\" {}{}", px(x), px(y - 5), px(x + 5), px(y + 4), px(x - 5),
                         px(y + 4), fill, end) +
             (inner.empty() ? "" : "</path>\n");
    case Shape::Diamond:
      return fmt::format("<path d=\"M{},{} L{},{} L{},{} L{},{} Z\" {}{}", px(x), px(y - 5), px(x + 5), px(y), px(x),
                         px(y + 5), px(x - 5), px(y), fill, end) +
             (inner.empty() ? "" : "</path>\n");
  }
  return "";
}

std::string axes_and_grid(const Frame& frame) {
  std::string svg;
  for (const Tick& tick : frame.y.ticks) {
    const double y = frame.to_y(tick.value);
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e6e6e6\"/>\n", px(frame.left), px(y),
                       px(frame.right), px(y));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" dominant-baseline=\"middle\" "
                       "fill=\"#333\">{}</text>\n",
                       px(frame.left - 6), px(y), markup_escape(tick.label));
  }
  for (const Tick& tick : frame.x.ticks) {
    const double x = frame.to_x(tick.value);
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n", px(x), px(frame.bottom),
                       px(x), px(frame.bottom + 5));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">{}</text>\n",
                       px(x), px(frame.bottom + 18), markup_escape(tick.label));
  }
  svg += fmt::format("<path fill=\"none\" stroke=\"#333\" d=\"M{},{} V{} H{}\"/>\n", px(frame.left), px(frame.top),
                     px(frame.bottom), px(frame.right));
  return svg;
}

// Whether the lines of the panels are short and few enough for a marker on each point.
bool marked(const std::vector<Panel>& panels) {
  size_t longest = 0, total = 0;
  for (const Panel& panel : panels) {
    for (const Series& line : panel.series) {
      if (line.style != Style::Line) continue;
      longest = std::max(longest, line.points.size());
      total += line.points.size();
    }
  }
  return longest <= kMarkedPoints && total <= kMarkedTotal;
}

// The hover text of a point: its own title, else "label: x, y" in the axes' formats.
std::string point_title(const Panel& panel, const Series& series, size_t i) {
  if (i < series.point_titles.size()) return series.point_titles[i];
  const auto value_text = [](const AxisSpec& axis, double value) {
    if (!axis.categories.empty()) {
      const auto at = static_cast<size_t>(std::llround(value));
      return at < axis.categories.size() ? axis.categories[at] : std::string();
    }
    return tick_label(value, 0, axis.format);
  };
  return fmt::format("{}: {}, {}", series.label, value_text(panel.x, series.points[i].first),
                     value_text(panel.y, series.points[i].second));
}

// The series' lines and markers; counts the points a log axis cannot show in hidden.
std::string plotted(const Panel& panel, const Frame& frame, bool markers, size_t& hidden) {
  std::string svg;
  const std::vector<size_t> styles = style_indices(panel.series);
  for (size_t i = 0; i < panel.series.size(); ++i) {
    const Series& series = panel.series[i];
    std::string points;
    for (const auto& point : series.points) {
      if (!frame.drawable(point)) {
        if (series.style != Style::Reference) ++hidden;
        continue;
      }
      points += (points.empty() ? "" : " ") + px(frame.to_x(point.first)) + "," + px(frame.to_y(point.second));
    }
    if (series.style != Style::Scatter) {
      svg += fmt::format(
          "<polyline fill=\"none\" {} stroke-linejoin=\"round\" points=\"{}\"><title>{}</title></polyline>\n",
          stroke_style(series, styles[i]), points, markup_escape(series.label));
    }
    if (series.style == Style::Reference || (series.style == Style::Line && !markers)) continue;
    for (size_t p = 0; p < series.points.size(); ++p) {
      if (!frame.drawable(series.points[p])) continue;
      svg += marker(frame.to_x(series.points[p].first), frame.to_y(series.points[p].second), styles[i],
                    point_title(panel, series, p));
    }
  }
  return svg;
}

std::string panel_svg(const Panel& panel, double left_edge, bool markers) {
  const Frame frame{left_edge + kMarginLeft, left_edge + kPanelWidth - kMarginRight, kMarginTop,
                    kPanelHeight - kMarginBottom, make_axis(panel, true), make_axis(panel, false)};
  std::string svg = "<g>\n<title>" + markup_escape(panel.title) + "</title>\n";
  svg += fmt::format("<text x=\"{}\" y=\"22\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\" "
                     "fill=\"#111\">{}</text>\n",
                     px((frame.left + frame.right) / 2), markup_escape(panel.title));
  svg += axes_and_grid(frame);
  size_t hidden = 0;
  svg += plotted(panel, frame, markers, hidden);
  if (hidden > 0) {
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">{} point{} at or "
                       "below 0 not shown (log scale)</text>\n",
                       px(frame.right), px(frame.top - 8), hidden, hidden == 1 ? "" : "s");
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#111\">{}</text>\n",
                     px((frame.left + frame.right) / 2), px(kPanelHeight - 12), markup_escape(panel.x.label));
  const double label_x = left_edge + 16;
  const double label_y = (frame.top + frame.bottom) / 2;
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#111\" "
                     "transform=\"rotate(-90 {} {})\">{}</text>\n",
                     px(label_x), px(label_y), px(label_x), px(label_y), markup_escape(panel.y.label));
  return svg + "</g>\n";
}

// Legend entries in columns of equal width, as many per row as fit.
struct LegendLayout {
  size_t per_row;
  double column_width;
  size_t rows;
};

// The series the legend names: the first kLegendEntries.
size_t legend_entries(const std::vector<Series>& series) { return std::min(series.size(), kLegendEntries); }

LegendLayout legend_layout(const std::vector<Series>& series, double width) {
  const size_t entries = legend_entries(series);
  size_t longest = 0;
  for (size_t i = 0; i < entries; ++i) longest = std::max(longest, series[i].label.size());
  const double column_width = kLegendSample + 8 + static_cast<double>(longest) * kCharWidth + 20;
  const size_t per_row = std::max<size_t>(1, static_cast<size_t>((width - 2 * kPadding) / column_width));
  const size_t note_row = entries < series.size() ? 1 : 0;
  return {per_row, column_width, (entries + per_row - 1) / per_row + note_row};
}

std::string legend_svg(const std::vector<Series>& series, const LegendLayout& layout, double top, bool markers) {
  std::string svg = "<g>\n";
  const std::vector<size_t> styles = style_indices(series);
  const size_t entries = legend_entries(series);
  for (size_t i = 0; i < entries; ++i) {
    const double x = kPadding + kMarginLeft / 2 + static_cast<double>(i % layout.per_row) * layout.column_width;
    const double y = top + static_cast<double>(i / layout.per_row) * kLegendRow + kLegendRow / 2;
    if (series[i].style != Style::Scatter) {
      svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {}/>\n", px(x), px(y), px(x + kLegendSample),
                         px(y), stroke_style(series[i], styles[i]));
    }
    if (series[i].style == Style::Scatter || (series[i].style == Style::Line && markers))
      svg += marker(x + kLegendSample / 2, y, styles[i], "");
    svg +=
        fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" dominant-baseline=\"middle\" fill=\"#111\">{}</text>\n",
                    px(x + kLegendSample + 8), px(y), markup_escape(series[i].label));
  }
  if (entries < series.size()) {
    const double y = top + static_cast<double>(layout.rows - 1) * kLegendRow + kLegendRow / 2;
    svg += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" dominant-baseline=\"middle\" fill=\"#444\">and {} more series "
        "(each line and point names its settings when the mouse rests on it)</text>\n",
        px(kPadding + kMarginLeft / 2), px(y), series.size() - entries);
  }
  return svg + "</g>\n";
}

}  // namespace

std::vector<double> nice_ticks(double low, double high, int target, double min_step) {
  return ticks_every(low, high, nice_step(high - low, target, min_step));
}

std::vector<Tick> axis_ticks(double low, double high, const AxisSpec& axis) {
  std::vector<Tick> ticks;
  if (axis.scale == Scale::Log) {
    for (const double value : log_tick_values(low, high, axis)) ticks.push_back({value, tick_label(value, 0, axis.format)});
    return ticks;
  }
  const double step = linear_step(low, high, axis);
  for (const double value : ticks_every(low, high, step)) ticks.push_back({value, tick_label(value, step, axis.format)});
  return ticks;
}

const std::vector<std::string>& palette() { return kPalette; }

std::string render_svg(const std::vector<Panel>& panels) {
  const double width = 2 * kPadding + kPanelWidth * static_cast<double>(panels.size());
  const std::vector<Series> legend = panels.empty() ? std::vector<Series>{} : panels.front().series;
  const LegendLayout layout = legend_layout(legend, width);
  const double height = kPanelHeight + static_cast<double>(layout.rows) * kLegendRow + 2 * kPadding;
  std::string title;
  for (const Panel& panel : panels) title += (title.empty() ? "" : "; ") + panel.title;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"Helvetica, Arial, sans-serif\">\n<title>{2}</title>\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      px(width), px(height), markup_escape(title));
  const bool markers = marked(panels);
  for (size_t i = 0; i < panels.size(); ++i) {
    svg += panel_svg(panels[i], kPadding + kPanelWidth * static_cast<double>(i), markers);
  }
  svg += legend_svg(legend, layout, kPanelHeight + kPadding / 2, markers);
  return svg + "</svg>\n";
}

}  // namespace iddl::reports
