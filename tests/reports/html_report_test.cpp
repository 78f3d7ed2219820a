// The HTML report's parts on databases the store wrote: the sortable table and its raw keys, the
// curves against epoch and training time, failed runs, the environment footer, and escaping.
// (tests/reports/html_browser_test.cpp opens the page in Chromium.)
#include "reports/html_report.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "reports/curves.hpp"
#include "reports/markup_escape.hpp"
#include "reports/markdown_report.hpp"
#include "results/schema.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

using test_support::demo_config;
using test_support::finished;

class reports_html : public ::testing::Test {
 protected:
  void SetUp() override { test_support::write_sample_db(path_); }

  std::string page(const std::vector<std::string>& sweeps = {}) {
    results::Database db = results::open_for_reading(path_);
    std::ostringstream out;
    write_html_report(out, db, sweeps);
    return out.str();
  }

  SweepSection section(const std::string& sweep) {
    results::Database db = results::open_for_reading(path_);
    return sweep_section(db, sweep);
  }

  test_support::TempDir dir_;
  const std::string path_ = dir_.file("iddl.db");
};

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST_F(reports_html, TableIsTheMarkdownTableWithRawKeys) {
  const SweepSection demo = section("demo");
  results::Database db = results::open_for_reading(path_);
  const Table markdown = sweep_table(db, "demo");
  ASSERT_EQ(demo.table.table.rows, markdown.rows);
  ASSERT_EQ(demo.table.keys.size(), markdown.rows.size());
  std::vector<std::string> headers;
  for (const Column& column : demo.table.table.columns) headers.push_back(column.name);
  const auto column = [&](const std::string& name) {
    return static_cast<size_t>(std::find(headers.begin(), headers.end(), name) - headers.begin());
  };
  // Row 0: the two seeds of sync on 2 ranks, lr 0.05: accuracy 80% and 90%, times 100 s and 110 s.
  EXPECT_EQ(demo.table.table.rows[0][column("test accuracy")], "85.00% ± 7.07%");
  EXPECT_EQ(demo.table.keys[0][column("test accuracy")], "0.85");
  EXPECT_EQ(demo.table.keys[0][column("training time")], "105");
  EXPECT_EQ(demo.table.keys[0][column("bytes sent")], "1048576");
  EXPECT_EQ(demo.table.keys[0][column("runs")], "2");
  EXPECT_EQ(demo.table.keys[0][column("parallelism")], "sync");
}

TEST_F(reports_html, SectionHasCountsFailuresAndEnvironment) {
  const SweepSection demo = section("demo");
  EXPECT_EQ(demo.counts, "1 pending, 3 done, 1 failed");
  ASSERT_EQ(demo.failures.size(), 1u);
  EXPECT_EQ(demo.failures[0].key, "fast-1");
  EXPECT_EQ(demo.failures[0].status, "failed");
  EXPECT_EQ(demo.failures[0].error, "loss | diverged\nat epoch 1");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"BLAS", "openblas (Haswell)"}, {"torch", "2.1.0"}, {"host", "node-1"}};
  EXPECT_EQ(demo.environment, expected);
}

TEST_F(reports_html, CurvesAgainstEpochOnlyWithoutEpochTimes) {
  const SweepSection demo = section("demo");
  ASSERT_EQ(demo.charts.size(), 2u);
  EXPECT_EQ(demo.charts[0].title, "Test accuracy against epoch");
  EXPECT_EQ(demo.charts[1].title, "Training loss against epoch");
  EXPECT_EQ(demo.charts[0].svg.rfind("<svg", 0), 0u);
}

TEST(reports_html_curves, CurvesAgainstTrainingTimeFromEpochTimes) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  {
    results::Store store(path);
    const int64_t sweep = store.register_sweep("timed", "", {{"a-1", 0, demo_config("sync", 2, 1)}});
    const int64_t run = store.runs_of(sweep).front().id;
    store.mark_running(run);
    store.record_epoch(run, {{"epoch", 1}, {"test_accuracy", 0.5}, {"train_loss", 1.0}, {"epoch_time_s", 2.0}});
    store.record_epoch(run, {{"epoch", 2}, {"test_accuracy", 0.6}, {"train_loss", 0.8}, {"epoch_time_s", 3.0}});
    store.record_finished(run, finished(5, 0.6, 0, std::nullopt));
  }
  results::Database db = results::open_for_reading(path);
  const std::vector<PageChart> charts = curve_charts(db, "timed");
  ASSERT_EQ(charts.size(), 4u);
  EXPECT_EQ(charts[2].title, "Test accuracy against training time (s)");
  EXPECT_EQ(charts[3].title, "Training loss against training time (s)");
  const std::vector<Panel> panels = curve_panels(db, {std::string("timed"), std::nullopt}, {}, CurveX::TrainingTime);
  ASSERT_EQ(panels[0].series.size(), 1u);
  const std::vector<std::pair<double, double>> expected = {{2.0, 50.0}, {5.0, 60.0}};
  EXPECT_EQ(panels[0].series[0].points, expected);
}

TEST_F(reports_html, PageIsSelfContainedWithOneSectionPerSweep) {
  const std::string html = page();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(count(html, "<section "), 2u);
  EXPECT_EQ(count(html, "<table class=\"runs\""), 2u);
  EXPECT_EQ(count(html, "<script>"), 1u);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_NE(html.find("<h2>demo</h2>"), std::string::npos);
  EXPECT_NE(html.find("<h2>other</h2>"), std::string::npos);
  EXPECT_EQ(count(page({"other"}), "<section "), 1u);
}

TEST_F(reports_html, UnknownSweepIsAnError) { EXPECT_ANY_THROW(page({"nosuch"})); }

TEST(reports_html_escaping, EverythingFromTheDatabaseIsEscaped) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  {
    results::Store store(path);
    nlohmann::json odd = demo_config("sync", 2, 1);
    odd["model"] = "<b>mlp</b>";
    const int64_t sweep = store.register_sweep("<script>alert(1)</script>", "",
                                               {{"a-1", 0, odd},
                                                {"b-1", 0, demo_config("sync", 2, 1)},
                                                {"c-1", 0, demo_config("sync", 4, 1)}});
    const auto runs = store.runs_of(sweep);
    test_support::run_to_done(store, runs[0].id, finished(1, 0.5, 0, std::nullopt));
    test_support::run_to_done(store, runs[1].id, finished(1, 0.5, 0, std::nullopt));
    store.mark_running(runs[2].id);
    store.record_failure(runs[2].id, results::RunStatus::Failed, 1, "a \"quoted\" <error> & 'more'", "");
  }
  results::Database db = results::open_for_reading(path);
  std::ostringstream out;
  write_html_report(out, db, {});
  const std::string html = out.str();
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>mlp</b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;mlp&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("a &quot;quoted&quot; &lt;error&gt; &amp; &#39;more&#39;"), std::string::npos);
  EXPECT_EQ(markup_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

}  // namespace
}  // namespace iddl::reports
