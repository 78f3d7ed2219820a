#include "reports/svg_chart.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "tests/reports/svg_check.hpp"

namespace iddl::reports {
namespace {

std::vector<double> near(std::vector<double> ticks) {
  for (double& tick : ticks) tick = std::round(tick * 1e6) / 1e6;
  return ticks;
}

TEST(reports_svg_chart, TicksAreOneTwoFiveSteps) {
  EXPECT_EQ(near(nice_ticks(0, 1, 5)), (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1}));
  EXPECT_EQ(near(nice_ticks(1, 20, 5, 1)), (std::vector<double>{5, 10, 15, 20}));
  EXPECT_EQ(near(nice_ticks(1, 2, 5, 1)), (std::vector<double>{1, 2}));
  EXPECT_EQ(near(nice_ticks(62, 91, 5)), (std::vector<double>{70, 80, 90}));
  EXPECT_EQ(near(nice_ticks(0.29, 1.22, 5)), (std::vector<double>{0.4, 0.6, 0.8, 1, 1.2}));
}

Panel panel(const std::string& title, size_t lines, size_t points) {
  Panel chart{title, "epoch", "value", 1, {}};
  for (size_t line = 0; line < lines; ++line) {
    Series series{"line " + std::to_string(line) + " <&>", {}};
    for (size_t x = 1; x <= points; ++x) series.points.emplace_back(double(x), double(line + x * x));
    chart.series.push_back(series);
  }
  return chart;
}

TEST(reports_svg_chart, OnePolylinePerSeriesWithAllItsPoints) {
  const std::string svg = render_svg({panel("A", 3, 7), panel("B", 3, 7)});
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_TRUE(test_support::well_formed(svg)) << svg;
  EXPECT_EQ(test_support::polyline_point_counts(svg), (std::vector<int>(6, 7)));
  EXPECT_NE(svg.find(">A</text>"), std::string::npos);
  EXPECT_NE(svg.find(">epoch</text>"), std::string::npos);
  EXPECT_NE(svg.find("line 0 &lt;&amp;&gt;"), std::string::npos);  // labels escaped
}

TEST(reports_svg_chart, SeriesGetDistinctStylesAndTheLegendNamesEach) {
  const std::string svg = render_svg({panel("A", 12, 3)});
  for (const char* colour : {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                             "#9c755f", "#bab0ac"}) {
    EXPECT_NE(svg.find(colour), std::string::npos) << colour;
  }
  EXPECT_NE(svg.find("stroke-dasharray=\"7 4\""), std::string::npos);  // series 10 and 11: colours again, dashed
  for (int line = 0; line < 12; ++line) {
    EXPECT_NE(svg.find(">line " + std::to_string(line) + " &lt;&amp;&gt;</text>"), std::string::npos) << line;
  }
}

TEST(reports_svg_chart, LongLinesHaveNoMarkersShortOnesDo) {
  EXPECT_EQ(render_svg({panel("A", 1, 40)}).find("<circle"), std::string::npos);
  const std::string short_line = render_svg({panel("A", 1, 5)});
  int circles = 0;
  for (size_t pos = short_line.find("<circle"); pos != std::string::npos; pos = short_line.find("<circle", pos + 1))
    ++circles;
  EXPECT_EQ(circles, 5 + 1);  // every point, and the legend's sample
}

TEST(reports_svg_chart, ASinglePointAndAFlatLineStillGetARange) {
  const std::string svg = render_svg({Panel{"A", "x", "y", 1, {{"one", {{1, 5}}}}}});
  EXPECT_TRUE(test_support::well_formed(svg));
  EXPECT_FALSE(std::regex_search(svg, std::regex(R"(\b-?(nan|inf)\b)"))) << svg;
}

}  // namespace
}  // namespace iddl::reports
