#include "reports/tradeoff_charts.hpp"

#include <gtest/gtest.h>

#include "results/schema.hpp"
#include "tests/reports/report_process.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/reports/svg_check.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

using nlohmann::json;
using test_support::demo_config;
using test_support::finished;
using test_support::run_to_done;

// One done run of config recording accuracy, bytes, params, FLOPs and throughput.
struct Planned {
  json config;
  double accuracy;
  int64_t bytes;
  int64_t params;
  int64_t flops;
  double samples_per_s;
};

void add_sweep(results::Store& store, const std::string& name, const std::vector<Planned>& runs) {
  std::vector<results::PlannedRunRow> planned;
  for (size_t i = 0; i < runs.size(); ++i) planned.push_back({name + "-" + std::to_string(i), 0, runs[i].config});
  const auto stored = store.runs_of(store.register_sweep(name, "", planned));
  for (size_t i = 0; i < runs.size(); ++i) {
    json event = finished(10, runs[i].accuracy, runs[i].bytes, 1e6);
    event["params"] = runs[i].params;
    event["flops"] = runs[i].flops;
    event["metrics"] = {{"samples_per_s", runs[i].samples_per_s}};
    run_to_done(store, stored[i].id, event);
  }
}

json with(json config, const std::string& key, json value) {
  config[key] = std::move(value);
  return config;
}

json pipeline(int ranks, int chunks) {
  return with(demo_config("sync", ranks, 1), "parallelism", {{"method", "pipeline"}, {"chunks", chunks}});
}

// "models": two models; "scale": data parallelism on 1, 2 and 4 ranks and a 2-stage pipeline of 4 and 8 chunks;
// "compression": top-k against none; "zip": an ensemble on 2 ranks and a plain model on 1; "repeats": one setting
// combination twice.
void write_tradeoff_db(const std::string& path) {
  results::Store store(path);
  add_sweep(store, "models",
            {{demo_config("sync", 2, 1), 0.85, 1000, 101770, 101770, 500},
             {with(demo_config("sync", 2, 1), "model", "lenet"), 0.88, 1000, 61706, 1200000, 300}});
  add_sweep(store, "scale",
            {{demo_config("single", 1, 1), 0.85, 0, 101770, 101770, 100},
             {demo_config("sync", 2, 1), 0.85, 1 << 20, 101770, 101770, 180},
             {demo_config("sync", 4, 1), 0.84, 1 << 21, 101770, 101770, 300},
             {pipeline(2, 4), 0.85, 1 << 19, 101770, 101770, 150},
             {pipeline(2, 8), 0.85, 1 << 19, 101770, 101770, 170}});
  add_sweep(store, "compression",
            {{demo_config("sync", 2, 1), 0.85, 1 << 24, 101770, 101770, 180},
             {with(demo_config("sync", 2, 1), "compression", {{"method", "topk"}, {"ratio", 0.1}}), 0.83, 1 << 17,
              101770, 101770, 190}});
  add_sweep(store, "zip",
            {{with(demo_config("sync", 2, 1), "vertical", {{"method", "ensemble"}}), 0.86, 1000, 203540, 203540, 150},
             {demo_config("single", 1, 1), 0.85, 0, 101770, 101770, 100}});
  add_sweep(store, "repeats",
            {{demo_config("sync", 2, 1), 0.8, 1000, 101770, 101770, 180},
             {demo_config("sync", 2, 2), 0.9, 1000, 101770, 101770, 180}});
}

class reports_tradeoff_charts : public ::testing::Test {
 protected:
  void SetUp() override { write_tradeoff_db(path_); }

  std::vector<Panel> panels(const std::string& sweep) {
    results::Database db = results::open_for_reading(path_);
    return tradeoff_panels(load_runs(db, {sweep, std::nullopt}));
  }

  test_support::TempDir dir_;
  const std::string path_ = dir_.file("iddl.db");
};

std::vector<std::string> titles(const std::vector<Panel>& panels) {
  std::vector<std::string> names;
  for (const Panel& panel : panels) names.push_back(panel.title);
  return names;
}

const Series& series_named(const Panel& panel, const std::string& label) {
  for (const Series& series : panel.series)
    if (series.label == label) return series;
  throw std::out_of_range("no series " + label + " in " + panel.title);
}

using Points = std::vector<std::pair<double, double>>;

TEST_F(reports_tradeoff_charts, ModelsVary_AccuracyAgainstParamsAndFlops) {
  const std::vector<Panel> charts = panels("models");
  EXPECT_EQ(titles(charts), (std::vector<std::string>{"Test accuracy vs parameters", "Test accuracy vs FLOPs"}));
  const Panel& params = charts[0];
  EXPECT_EQ(params.x.scale, Scale::Linear);  // 61.7k .. 101.8k: less than 10x
  EXPECT_EQ(params.x.format, TickFormat::Count);
  EXPECT_EQ(params.y.label, "test accuracy (%)");
  EXPECT_EQ(series_named(params, "model=lenet").points, (Points{{61706, 88}}));
  EXPECT_EQ(series_named(params, "model=lenet").style, Style::Scatter);
  EXPECT_EQ(charts[1].x.scale, Scale::Log);  // 101.8k .. 1.2M FLOPs: 10x or more
  EXPECT_NE(series_named(params, "model=mlp").point_titles.at(0).find("model=mlp (1 run)"), std::string::npos);
}

TEST_F(reports_tradeoff_charts, CompressionVaries_AccuracyAgainstBytesOnALogAxis) {
  const std::vector<Panel> charts = panels("compression");
  ASSERT_EQ(titles(charts), (std::vector<std::string>{"Test accuracy vs bytes sent"}));
  EXPECT_EQ(charts[0].x.scale, Scale::Log);
  EXPECT_EQ(charts[0].x.format, TickFormat::Bytes);
  EXPECT_EQ(series_named(charts[0], "compression=none").points, (Points{{1 << 24, 85}}));
  EXPECT_EQ(series_named(charts[0], "compression=topk(ratio=0.1)").points, (Points{{1 << 17, 83}}));
}

TEST_F(reports_tradeoff_charts, ParallelismVaries_ThroughputAndSpeedUpWithTheIdeal) {
  const std::vector<Panel> charts = panels("scale");
  ASSERT_EQ(titles(charts), (std::vector<std::string>{"Test accuracy vs bytes sent", "Throughput vs ranks",
                                                      "Speed-up vs ranks", "Throughput vs chunks",
                                                      "Speed-up vs chunks"}));
  const Panel& throughput = charts[1];
  // The single process is data parallelism on one rank: the first point of the sync line.
  EXPECT_EQ(series_named(throughput, "parallelism=sync").points, (Points{{1, 100}, {2, 180}, {4, 300}}));
  EXPECT_EQ(series_named(throughput, "parallelism=sync").style, Style::Line);
  EXPECT_EQ(series_named(throughput, "parallelism=pipeline(chunks=8)").points, (Points{{2, 170}}));
  const Panel& speedup = charts[2];  // over the single run (1 rank, 100 samples/s)
  EXPECT_EQ(series_named(speedup, "parallelism=sync").points, (Points{{1, 1}, {2, 1.8}, {4, 3}}));
  const Series& linear = series_named(speedup, "ideal (linear)");
  EXPECT_EQ(linear.style, Style::Reference);
  EXPECT_EQ(linear.points, (Points{{1, 1}, {2, 2}, {4, 4}}));
  // The pipeline of 2 stages against its chunks M: ideal 2·M/(M+1).
  const Panel& chunks = charts[4];
  const Series& pipe = series_named(chunks, "parallelism=pipeline, ranks=2");
  EXPECT_EQ(pipe.points, (Points{{4, 1.5}, {8, 1.7}}));
  const Series& ideal = series_named(chunks, "ideal M/(M+K−1): parallelism=pipeline, ranks=2");
  ASSERT_EQ(ideal.points.size(), 2u);
  EXPECT_DOUBLE_EQ(ideal.points[0].second, 2.0 * 4 / 5);
  EXPECT_DOUBLE_EQ(ideal.points[1].second, 2.0 * 8 / 9);
}

TEST_F(reports_tradeoff_charts, NoSpeedUpWithoutARunOfFewerRanksAndTheSameOtherSettings) {
  // The 2-rank run is an ensemble, the 1-rank one is not: neither is the other's baseline.
  EXPECT_EQ(titles(panels("zip")), (std::vector<std::string>{"Test accuracy vs bytes sent", "Test accuracy vs parameters",
                                                             "Test accuracy vs FLOPs", "Throughput vs ranks"}));
}

TEST_F(reports_tradeoff_charts, EarlyExitRuns_PerExitAccuracyFlopsAndFraction) {
  const std::string path = dir_.file("ee.db");
  test_support::write_early_exit_db(path);
  results::Database db = results::open_for_reading(path);
  const std::vector<Panel> charts = tradeoff_panels(load_runs(db, {std::string("ee"), std::nullopt}));
  ASSERT_EQ(titles(charts), (std::vector<std::string>{"Per-exit accuracy vs FLOPs", "Exit fraction per exit"}));
  // Both seeds of the early-exit run: exit 1 at 88k FLOPs, accuracy (70% + 72%) / 2; 60% of samples leave there.
  const Series& accuracy = series_named(charts[0], "horizontal=early_exit");
  ASSERT_EQ(accuracy.points.size(), 1u);
  EXPECT_DOUBLE_EQ(accuracy.points[0].first, 88000);
  EXPECT_NEAR(accuracy.points[0].second, 71, 1e-9);
  EXPECT_NE(accuracy.point_titles[0].find("exit 1: accuracy 71.00%, leaving 60.00%, FLOPs 88K"), std::string::npos)
      << accuracy.point_titles[0];
  const Series& fraction = series_named(charts[1], "horizontal=early_exit");
  ASSERT_EQ(fraction.points.size(), 1u);
  EXPECT_NEAR(fraction.points[0].second, 60, 1e-9);
}

TEST_F(reports_tradeoff_charts, NothingVaryingOrNothingDoneMeansNoCharts) {
  EXPECT_TRUE(panels("repeats").empty());
  results::Store(path_).register_sweep("planned", "", {{"p-1", 0, demo_config("sync", 2, 1)}});
  EXPECT_TRUE(panels("planned").empty());
}

TEST_F(reports_tradeoff_charts, ChartsAreTitledValidSvg) {
  results::Database db = results::open_for_reading(path_);
  const std::vector<Chart> charts = tradeoff_charts(db, "scale");
  ASSERT_EQ(charts.size(), 5u);
  for (const Chart& chart : charts) {
    EXPECT_EQ(chart.svg.rfind("<svg", 0), 0u);
    EXPECT_NE(chart.svg.find("<title>" + chart.title + "</title>"), std::string::npos) << chart.title;
    EXPECT_EQ(test_support::xmllint_errors(chart.svg, dir_.file("chart.svg")), "") << chart.title;
  }
  EXPECT_EQ(charts[0].slug, "test-accuracy-vs-bytes-sent");
  EXPECT_EQ(charts[2].slug, "speed-up-vs-ranks");
  EXPECT_NE(charts[0].svg.find("1 point at or below 0 not shown (log scale)"), std::string::npos);  // single: 0 B
  EXPECT_THROW(tradeoff_charts(db, "nope"), std::exception);
}

TEST_F(reports_tradeoff_charts, TheCommandWritesOneFilePerChart) {
  const Outcome ok = run_report(dir_, {"tradeoffs", "--db", path_, "--sweep", "models", "--out-dir", "charts"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "wrote charts/test-accuracy-vs-parameters.svg\nwrote charts/test-accuracy-vs-flops.svg\n");
  EXPECT_EQ(slurp(dir_.file("charts/test-accuracy-vs-flops.svg")).rfind("<svg", 0), 0u);

  const Outcome none = run_report(dir_, {"tradeoffs", "--db", path_, "--sweep", "repeats", "--out-dir", "none"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("no trade-off chart fits sweep repeats"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("none")));

  const Outcome unknown = run_report(dir_, {"tradeoffs", "--db", path_, "--sweep", "nope", "--out-dir", "x"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("nope"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace iddl::reports
