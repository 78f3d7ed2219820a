#include "reports/plot.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "results/schema.hpp"
#include "tests/reports/report_process.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/reports/svg_check.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

using Points = std::vector<std::pair<double, double>>;

class reports_plot : public ::testing::Test {
 protected:
  void SetUp() override {
    test_support::write_sample_db(path_);
    test_support::write_early_exit_db(ee_path_);
  }

  Panel panel(const PlotRequest& request, const std::string& sweep = "demo", const std::string& path = "") {
    results::Database db = results::open_for_reading(path.empty() ? path_ : path);
    std::vector<std::string> columns;
    if (request.color) columns.push_back(*request.color);
    return plot_panel(load_runs(db, {sweep, std::nullopt}, columns), request);
  }

  // The message of the std::invalid_argument plot_panel throws for the request.
  std::string error(const PlotRequest& request) {
    try {
      panel(request);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  }

  test_support::TempDir dir_;
  const std::string path_ = dir_.file("iddl.db");
  const std::string ee_path_ = dir_.file("ee.db");
};

TEST_F(reports_plot, OnePointPerSettingCombinationColouredBySetting) {
  const Panel chart = panel({"ranks", "test_accuracy", std::string("parallelism")});
  EXPECT_EQ(chart.title, "test_accuracy vs ranks");
  EXPECT_EQ(chart.x.label, "ranks");
  EXPECT_EQ(chart.y.label, "test accuracy (%)");
  EXPECT_EQ(chart.y.format, TickFormat::Percent);
  ASSERT_EQ(chart.series.size(), 2u);
  EXPECT_EQ(chart.series[0].label, "parallelism=sync");
  EXPECT_EQ(chart.series[0].points.size(), 1u);  // both seeds folded: (0.8 + 0.9) / 2
  EXPECT_EQ(chart.series[0].points[0].first, 2);
  EXPECT_NEAR(chart.series[0].points[0].second, 85, 1e-9);
  EXPECT_EQ(chart.series[1].label, "parallelism=single");
  EXPECT_EQ(chart.series[1].points, (Points{{1, 75}}));
  EXPECT_EQ(chart.series[0].style, Style::Line);  // x is a number setting
  EXPECT_EQ(chart.series[0].point_titles[0],
            "parallelism=sync, ranks=2 (2 runs): ranks 2, test_accuracy 85.00%");
}

TEST_F(reports_plot, MetricsAgainstMetricsAreAScatterOnLogAxes) {
  const Panel chart = panel({"bytes_sent", "train_time_s", std::nullopt, true, false});
  EXPECT_EQ(chart.x.label, "bytes sent (bytes, log scale)");
  EXPECT_EQ(chart.x.scale, Scale::Log);
  EXPECT_EQ(chart.x.format, TickFormat::Bytes);
  EXPECT_EQ(chart.y.format, TickFormat::Seconds);
  ASSERT_EQ(chart.series.size(), 1u);
  EXPECT_EQ(chart.series[0].label, "demo");
  EXPECT_EQ(chart.series[0].style, Style::Scatter);
  EXPECT_EQ(chart.series[0].points, (Points{{0, 12.34}, {1048576, 105}}));  // by x; the 0 is left off when drawn
}

TEST_F(reports_plot, NamedMetricsAndTextSettingsAsCategories) {
  const Panel exits = panel({"exit_flops.1", "exit_accuracy.1"}, "ee", ee_path_);
  EXPECT_EQ(exits.series.at(0).points.size(), 1u);  // the plain run has neither
  EXPECT_NEAR(exits.series[0].points[0].second, 71, 1e-9);
  const Panel by_method = panel({"parallelism", "test_accuracy"});
  EXPECT_EQ(by_method.x.categories, (std::vector<std::string>{"single", "sync"}));
  EXPECT_EQ(by_method.series[0].style, Style::Scatter);
  ASSERT_EQ(by_method.series[0].points.size(), 2u);  // by x: single, then sync
  EXPECT_EQ(by_method.series[0].points[0], (std::pair<double, double>{0, 75}));
  EXPECT_EQ(by_method.series[0].points[1].first, 1);
  EXPECT_NEAR(by_method.series[0].points[1].second, 85, 1e-9);
}

TEST_F(reports_plot, AnAxisParameterIsASetting) {
  {
    results::Store store(path_);
    nlohmann::json chunks_4 = test_support::demo_config("sync", 2, 1);
    chunks_4["parallelism"] = {{"method", "pipeline"}, {"chunks", 4}};
    nlohmann::json chunks_8 = chunks_4;
    chunks_8["parallelism"]["chunks"] = 8;
    const auto runs = store.runs_of(store.register_sweep(
        "pipe", "", {{"c4", 0, chunks_4}, {"c8", 0, chunks_8}, {"dp", 0, test_support::demo_config("sync", 2, 1)}}));
    for (size_t i = 0; i < runs.size(); ++i)
      test_support::run_to_done(store, runs[i].id, test_support::finished(10, 0.5 + 0.1 * double(i), 0, std::nullopt));
  }
  const Panel chart = panel({"parallelism.chunks", "test_accuracy"}, "pipe");
  ASSERT_EQ(chart.series.size(), 1u);
  EXPECT_EQ(chart.series[0].style, Style::Line);
  ASSERT_EQ(chart.series[0].points.size(), 2u);  // the data-parallel run has no chunks
  EXPECT_EQ(chart.series[0].points[0].first, 4);
  EXPECT_EQ(chart.series[0].points[1].first, 8);
  EXPECT_NE(error({"parallelism.chunk", "test_accuracy"}).find("unknown --x 'parallelism.chunk'"), std::string::npos);
}

TEST_F(reports_plot, UnknownNamesAreErrorsListingTheValidOnes) {
  const std::string message = error({"ranks", "test_acuracy"});
  EXPECT_NE(message.find("unknown --y 'test_acuracy' (did you mean 'test_accuracy'"), std::string::npos) << message;
  EXPECT_NE(message.find("settings: batch_size, compression, dataset,"), std::string::npos) << message;
  EXPECT_NE(message.find("metrics: seed, host, device,"), std::string::npos) << message;
  EXPECT_NE(error({"rank", "test_accuracy"}).find("unknown --x 'rank'"), std::string::npos);
  EXPECT_NE(error({"ranks", "test_accuracy", std::string("colour")}).find("unknown setting or column 'colour'"),
            std::string::npos);
  EXPECT_NE(error({"parallelism", "test_accuracy", std::nullopt, true}).find("text values: no log scale"),
            std::string::npos);
  EXPECT_NE(error({"ranks", "staleness_mean"}).find("nothing to plot"), std::string::npos);
}

TEST_F(reports_plot, TheCommandWritesValidSvgAndNamesBadInput) {
  const Outcome ok = run_report(dir_, {"plot", "--db", path_, "--sweep", "demo", "--x", "bytes_sent", "--y",
                                       "test_accuracy", "--color", "parallelism", "--log-x", "--out", "plot.svg"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "wrote plot.svg\n");
  const std::string svg = slurp(dir_.file("plot.svg"));
  EXPECT_EQ(test_support::xmllint_errors(svg, dir_.file("copy.svg")), "");
  EXPECT_NE(svg.find("<title>test_accuracy vs bytes_sent</title>"), std::string::npos);
  EXPECT_NE(svg.find("1 point at or below 0 not shown (log scale)"), std::string::npos);

  const Outcome unknown =
      run_report(dir_, {"plot", "--db", path_, "--x", "ranks", "--y", "test_acuracy", "--out", "bad.svg"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.out, "");
  EXPECT_NE(unknown.err.find("iddl-report: unknown --y 'test_acuracy' (did you mean 'test_accuracy'"), std::string::npos)
      << unknown.err;
  EXPECT_NE(unknown.err.find("; metrics: "), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("bad.svg")));

  const Outcome no_out = run_report(dir_, {"plot", "--db", path_, "--x", "ranks", "--y", "test_accuracy"});
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_NE(no_out.err.find("--out"), std::string::npos) << no_out.err;
}

}  // namespace
}  // namespace iddl::reports
