#include "reports/svg_chart.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "tests/reports/svg_check.hpp"
#include "tests/support/temp_dir.hpp"

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
  Panel chart{title, {"epoch", Scale::Linear, TickFormat::Number, 1, {}}, {"value"}, {}};
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
  // Okabe–Ito: distinguishable with each common colour-vision deficiency.
  EXPECT_EQ(palette(), (std::vector<std::string>{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
                                                 "#F0E442", "#000000"}));
  for (const std::string& colour : palette()) EXPECT_NE(svg.find("stroke=\"" + colour + "\""), std::string::npos) << colour;
  EXPECT_NE(svg.find("stroke-dasharray=\"7 4\""), std::string::npos);  // series 8 to 11: colours again, dashed
  for (int line = 0; line < 12; ++line) {
    EXPECT_NE(svg.find(">line " + std::to_string(line) + " &lt;&amp;&gt;</text>"), std::string::npos) << line;
  }
}

TEST(reports_svg_chart, ALongLegendNamesTheFirstSeriesAndCountsTheRest) {
  const std::string svg = render_svg({panel("A", 30, 3)});
  EXPECT_TRUE(test_support::well_formed(svg));
  EXPECT_EQ(test_support::polyline_point_counts(svg).size(), 30u);  // every series is still drawn, with its title
  EXPECT_NE(svg.find(">line 23 &lt;&amp;&gt;</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">line 24 &lt;&amp;&gt;</text>"), std::string::npos);
  EXPECT_NE(svg.find("<title>line 29 &lt;&amp;&gt;"), std::string::npos);
  EXPECT_NE(svg.find(">and 6 more series"), std::string::npos);
}

TEST(reports_svg_chart, LongLinesHaveNoMarkersShortOnesDo) {
  EXPECT_EQ(render_svg({panel("A", 1, 40)}).find("<circle"), std::string::npos);
  const std::string short_line = render_svg({panel("A", 1, 5)});
  int circles = 0;
  for (size_t pos = short_line.find("<circle"); pos != std::string::npos; pos = short_line.find("<circle", pos + 1))
    ++circles;
  EXPECT_EQ(circles, 5 + 1);  // every point, and the legend's sample
}

TEST(reports_svg_chart, ManyShortLinesHaveNoMarkers) {
  EXPECT_NE(render_svg({panel("A", 60, 10)}).find("<circle"), std::string::npos);  // 600 points in all
  EXPECT_EQ(render_svg({panel("A", 61, 10)}).find("<circle"), std::string::npos);  // 610: the lines' titles name them
}

TEST(reports_svg_chart, ASinglePointAndAFlatLineStillGetARange) {
  const std::string svg = render_svg({Panel{"A", {"x"}, {"y"}, {{"one", {{1, 5}}}}}});
  EXPECT_TRUE(test_support::well_formed(svg));
  EXPECT_FALSE(std::regex_search(svg, std::regex(R"(\b-?(nan|inf)\b)"))) << svg;
}

std::vector<std::string> labels(const std::vector<Tick>& ticks) {
  std::vector<std::string> text;
  for (const Tick& tick : ticks) text.push_back(tick.label);
  return text;
}

AxisSpec axis(TickFormat format, Scale scale = Scale::Linear) { return {"", scale, format, 0, {}}; }

TEST(reports_svg_chart, TickLabelsAreReadableInTheirUnit) {
  using S = std::vector<std::string>;
  EXPECT_EQ(labels(axis_ticks(0, 2.5e6, axis(TickFormat::Count))), (S{"0", "500k", "1M", "1.5M", "2M", "2.5M"}));
  EXPECT_EQ(labels(axis_ticks(0, 3 * 1048576.0, axis(TickFormat::Bytes))), (S{"0 B", "1 MiB", "2 MiB", "3 MiB"}));
  EXPECT_EQ(labels(axis_ticks(70, 90, axis(TickFormat::Percent))), (S{"70%", "75%", "80%", "85%", "90%"}));
  EXPECT_EQ(labels(axis_ticks(0.5, 2, axis(TickFormat::Seconds))), (S{"500ms", "1.0s", "1.5s", "2.0s"}));
  EXPECT_EQ(labels(axis_ticks(0, 0.3, axis(TickFormat::Number))), (S{"0.0", "0.1", "0.2", "0.3"}));
}

TEST(reports_svg_chart, PercentagesStayWithinZeroAndAHundred) {
  Panel chart{"fraction", {"exit"}, {"leaving (%)", Scale::Linear, TickFormat::Percent, 0, {}}, {}};
  chart.series.push_back({"s", {{1, 0}, {2, 100}}});
  const std::string svg = render_svg({chart});
  EXPECT_NE(svg.find(">0%</text>"), std::string::npos);
  EXPECT_NE(svg.find(">100%</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">-"), std::string::npos);      // no negative tick
  EXPECT_EQ(svg.find(">120%<"), std::string::npos);  // none above 100%
}

TEST(reports_svg_chart, LogTicksArePowersThinnedToAFew) {
  using S = std::vector<std::string>;
  EXPECT_EQ(labels(axis_ticks(900, 2e7, axis(TickFormat::Count, Scale::Log))), (S{"1k", "10k", "100k", "1M", "10M"}));
  // Bytes: powers of two, every fifth from 2^10 to 2^30 (1 KiB .. 1 GiB).
  EXPECT_EQ(labels(axis_ticks(1000, 1.5 * 1073741824.0, axis(TickFormat::Bytes, Scale::Log))),
            (S{"1 KiB", "32 KiB", "1 MiB", "32 MiB", "1 GiB"}));
  EXPECT_EQ(labels(axis_ticks(1e-4, 1e12, axis(TickFormat::Number, Scale::Log))).size(), 6u);  // every third decade
  EXPECT_EQ(labels(axis_ticks(0.01, 1e4, axis(TickFormat::Number, Scale::Log))),
            (S{"0.01", "0.1", "1", "10", "100", "1k", "10k"}));
  // Within one decade: 1-2-5.
  EXPECT_EQ(labels(axis_ticks(15, 120, axis(TickFormat::Number, Scale::Log))), (S{"20", "50", "100"}));
}

// The cx of every circle in document order.
std::vector<double> circle_xs(const std::string& svg) {
  std::vector<double> xs;
  const std::regex cx(R"re(<circle cx="([0-9.]+)")re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), cx); it != std::sregex_iterator(); ++it)
    xs.push_back(std::stod((*it)[1]));
  return xs;
}

TEST(reports_svg_chart, LogScaleSpacesDecadesEvenlyAndSaysWhatItCannotShow) {
  Panel chart{"log", {"bytes", Scale::Log, TickFormat::Bytes, 0, {}}, {"acc"}, {}};
  chart.series.push_back({"s", {{0, 1}, {10, 2}, {100, 3}, {1000, 4}}, Style::Scatter});
  const std::string svg = render_svg({chart});
  const std::vector<double> xs = circle_xs(svg);
  ASSERT_EQ(xs.size(), 3u + 1u);  // the point at 0 is not drawn; the legend's sample
  EXPECT_NEAR(xs[1] - xs[0], xs[2] - xs[1], 0.2);
  EXPECT_NE(svg.find("1 point at or below 0 not shown (log scale)"), std::string::npos);
  EXPECT_FALSE(std::regex_search(svg, std::regex(R"(\b-?(nan|inf)\b)"))) << svg;
}

TEST(reports_svg_chart, TheChartAndEveryPointHaveATitle) {
  Panel chart{"Accuracy vs bytes", {"bytes"}, {"acc"}, {}};
  chart.series.push_back({"a", {{1, 1}, {2, 2}}, Style::Scatter, {"compression=topk (3 runs)", "second <&>"}});
  chart.series.push_back({"b", {{3, 3}}, Style::Scatter});
  const std::string svg = render_svg({chart});
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\" "), std::string::npos);
  EXPECT_NE(svg.find("\n<title>Accuracy vs bytes</title>\n"), std::string::npos);
  EXPECT_NE(svg.find("><title>compression=topk (3 runs)</title></circle>"), std::string::npos);
  EXPECT_NE(svg.find("><title>second &lt;&amp;&gt;</title></circle>"), std::string::npos);
  EXPECT_NE(svg.find("><title>b: 3, 3</title></circle>"), std::string::npos);  // no title given: label and values
}

TEST(reports_svg_chart, TheLegendIsBelowThePlotArea) {
  const std::string svg = render_svg({panel("A", 12, 3)});
  const std::regex entry(R"re(<text x="[0-9.]+" y="([0-9.]+)"[^>]*>line \d+ &lt;)re");
  int entries = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), entry); it != std::sregex_iterator(); ++it, ++entries)
    EXPECT_GT(std::stod((*it)[1]), 320.0);  // the panel (plot area, ticks, axis label) ends at 320
  EXPECT_EQ(entries, 12);
}

TEST(reports_svg_chart, AReferenceLineIsGreyDashedAndTakesNoColour) {
  Panel chart{"speed-up", {"ranks"}, {"x"}, {}};
  chart.series.push_back({"sync", {{1, 1}, {2, 1.8}}});
  chart.series.push_back({"ideal", {{1, 1}, {2, 2}}, Style::Reference});
  chart.series.push_back({"pipeline", {{1, 1}, {2, 1.5}}});
  const std::string svg = render_svg({chart});
  EXPECT_EQ(test_support::polyline_point_counts(svg), (std::vector<int>{2, 2, 2}));
  EXPECT_NE(svg.find("stroke=\"#666666\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" stroke-linejoin=\"round\""),
            std::string::npos);
  EXPECT_NE(svg.find("stroke=\"" + palette()[1] + "\""), std::string::npos);  // pipeline: the second colour
  EXPECT_EQ(svg.find("stroke=\"" + palette()[2] + "\""), std::string::npos);
  EXPECT_NE(svg.find(">ideal</text>"), std::string::npos);  // in the legend
}

TEST(reports_svg_chart, CategoriesAreTicksAtTheirIndices) {
  Panel chart{"by method", {"compression", Scale::Linear, TickFormat::Number, 0, {"none", "topk"}}, {"acc"}, {}};
  chart.series.push_back({"s", {{0, 80}, {1, 79}}, Style::Scatter});
  const std::string svg = render_svg({chart});
  EXPECT_NE(svg.find(">none</text>"), std::string::npos);
  EXPECT_NE(svg.find(">topk</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">0.5</text>"), std::string::npos);  // no number ticks between them
}

TEST(reports_svg_chart, EveryStyleValidatesAsXml) {
  Panel chart{"All <styles> & shapes", {"bytes", Scale::Log, TickFormat::Bytes, 0, {}},
              {"acc", Scale::Linear, TickFormat::Percent, 0, {}}, {}};
  for (int i = 0; i < 34; ++i)
    chart.series.push_back({"config \"" + std::to_string(i) + "\" <&>", {{1024.0 * (i + 1), 50.0 + i}}, Style::Scatter,
                            {"title & <" + std::to_string(i) + ">"}});
  chart.series.push_back({"ideal", {{1024, 50}, {34 * 1024, 84}}, Style::Reference});
  test_support::TempDir dir;
  const std::string svg = render_svg({chart, panel("B", 3, 40)});
  EXPECT_EQ(test_support::xmllint_errors(svg, dir.file("chart.svg")), "");
  EXPECT_NE(svg.find("<rect x=\""), std::string::npos);  // series 8 to 15: squares
  EXPECT_NE(svg.find("<path d=\"M"), std::string::npos);   // then triangles and diamonds
}

}  // namespace
}  // namespace iddl::reports
