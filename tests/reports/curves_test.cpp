#include "reports/curves.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "results/schema.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/reports/svg_check.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

class reports_curves : public ::testing::Test {
 protected:
  void SetUp() override { test_support::write_sample_db(path_); }

  std::vector<Panel> panels(const Selection& selection, const std::vector<std::string>& group_by = {}) {
    results::Database db = results::open_for_reading(path_);
    return curve_panels(db, selection, group_by);
  }

  test_support::TempDir dir_;
  const std::string path_ = dir_.file("iddl.db");
};

std::vector<std::string> labels(const Panel& panel) {
  std::vector<std::string> names;
  for (const Series& series : panel.series) names.push_back(series.label);
  return names;
}

TEST_F(reports_curves, OneLinePerSettingCombinationAveragedOverRepeats) {
  const std::vector<Panel> chart = panels({std::string("demo"), std::nullopt});
  ASSERT_EQ(chart.size(), 2u);
  EXPECT_EQ(chart[0].title, "Test accuracy");
  EXPECT_EQ(chart[1].title, "Training loss");
  EXPECT_EQ(labels(chart[0]), (std::vector<std::string>{"parallelism=sync, ranks=2", "parallelism=single, ranks=1"}));
  EXPECT_EQ(labels(chart[1]), labels(chart[0]));
  const std::vector<std::pair<double, double>> sync = chart[0].series[0].points;  // seeds 1 and 2: 0.7/0.8, 0.8/0.9
  ASSERT_EQ(sync.size(), 2u);
  EXPECT_EQ(sync[0].first, 1);
  EXPECT_NEAR(sync[0].second, 75, 1e-9);
  EXPECT_NEAR(sync[1].second, 85, 1e-9);
  EXPECT_EQ(chart[1].series[1].points, (std::vector<std::pair<double, double>>{{1, 1.0}, {2, 0.5}}));
}

TEST_F(reports_curves, GroupByAndSweepPrefixes) {
  EXPECT_EQ(labels(panels({std::string("demo"), std::nullopt}, {"seed"})[0]),
            (std::vector<std::string>{"seed=1", "seed=2"}));
  EXPECT_EQ(labels(panels({std::nullopt, std::nullopt})[0]),
            (std::vector<std::string>{"demo: parallelism=sync, ranks=2", "demo: parallelism=single, ranks=1",
                                      "other: parallelism=single, ranks=1"}));
  EXPECT_EQ(labels(panels({std::string("other"), std::nullopt})[0]), (std::vector<std::string>{"other"}));
  EXPECT_EQ(labels(panels({std::string("demo"), std::string("ranks = 1")})[0]), (std::vector<std::string>{"demo"}));
}

TEST_F(reports_curves, SvgHasOnePolylinePerLineAndPanelWithEveryEpoch) {
  results::Database db = results::open_for_reading(path_);
  const std::string svg = curves_svg(db, {}, {});
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_TRUE(test_support::well_formed(svg));
  EXPECT_EQ(test_support::xmllint_errors(svg, dir_.file("curves.svg")), "");
  EXPECT_EQ(test_support::polyline_point_counts(svg), (std::vector<int>(6, 2)));  // 3 lines x 2 panels, 2 epochs
  EXPECT_NE(svg.find("test accuracy (%)"), std::string::npos);
  EXPECT_NE(svg.find("train loss"), std::string::npos);
}

TEST_F(reports_curves, NothingToPlotIsAnError) {
  EXPECT_THROW(panels({std::nullopt, std::string("status = 'failed'")}), std::invalid_argument);
  EXPECT_THROW(panels({std::string("demo"), std::nullopt}, {"nope"}), std::invalid_argument);
}

}  // namespace
}  // namespace iddl::reports
