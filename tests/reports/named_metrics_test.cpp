// The compression ratio and the named metrics (run_metrics) in the reports: --columns with names
// and patterns, their formats, folding, sorting, compare, JSON and the command line.
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

#include "reports/compare.hpp"
#include "reports/json_report.hpp"
#include "reports/markdown_report.hpp"
#include "reports/query.hpp"
#include "results/schema.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

using nlohmann::json;

class reports_named_metrics : public ::testing::Test {
 protected:
  void SetUp() override { test_support::write_early_exit_db(path_); }

  Table table(const std::string& columns, std::optional<SortOrder> sort = std::nullopt,
              std::optional<std::string> where = std::nullopt) {
    results::Database db = results::open_for_reading(path_);
    const RunSet set = load_runs(db, {std::string("ee"), std::move(where)});
    TableLayout layout;
    layout.columns = columns;
    layout.sort = std::move(sort);
    return folded_table(set, with_status(set, results::RunStatus::Done), layout);
  }

  test_support::TempDir dir_;
  const std::string path_ = dir_.file("iddl.db");
};

std::vector<std::string> headers(const Table& table) {
  std::vector<std::string> names;
  for (const Column& column : table.columns) names.push_back(column.name);
  return names;
}

std::string invalid_argument_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

TEST_F(reports_named_metrics, RunSetHoldsTheNamedMetricsOfItsRunsInNaturalOrder) {
  results::Database db = results::open_for_reading(path_);
  const RunSet set = load_runs(db, {std::string("ee"), std::nullopt});
  EXPECT_EQ(set.metric_names,
            (std::vector<std::string>{"baseline_inference_time_s", "exit_accuracy.1", "exit_accuracy.2",
                                      "exit_accuracy.10", "exit_flops.1", "exit_fraction.1", "mean_inference_flops",
                                      "speedup"}));
  EXPECT_EQ(set.runs[1].named_metrics, (std::map<std::string, double>{{"exit_accuracy.1", 0.72},
                                                                      {"exit_fraction.1", 0.58}}));
  EXPECT_TRUE(set.runs[2].named_metrics.empty());
  EXPECT_EQ(set.runs[0].metrics[metric_index(*find_metric("compression_ratio"))], 0.0123);
}

TEST_F(reports_named_metrics, NamedColumnsAreFoldedIntoMeanAndStdAndFormattedByTheirName) {
  const Table folded =
      table("test_accuracy,compression_ratio,exit_fraction.1,exit_flops.1,baseline_inference_time_s,speedup");
  EXPECT_EQ(headers(folded), (std::vector<std::string>{"horizontal", "runs", "test accuracy", "compression ratio",
                                                       "exit_fraction.1", "exit_flops.1", "baseline_inference_time_s",
                                                       "speedup"}));
  ASSERT_EQ(folded.rows.size(), 2u);
  EXPECT_EQ(folded.rows[0], (std::vector<std::string>{"early_exit", "2", "85.00% ± 7.07%", "0.0124 ± 0.0001414",
                                                      "60.00% ± 2.83%", "88K", "210ms", "1.04"}));
  EXPECT_EQ(folded.rows[1], (std::vector<std::string>{"none", "1", "85.00%", "", "", "", "", ""}));
}

TEST_F(reports_named_metrics, APatternExpandsToThePresentNamesInNaturalOrder) {
  const Table folded = table("test_accuracy,exit_accuracy.*");
  EXPECT_EQ(headers(folded), (std::vector<std::string>{"horizontal", "runs", "test accuracy", "exit_accuracy.1",
                                                       "exit_accuracy.2", "exit_accuracy.10"}));
  EXPECT_EQ(folded.rows[0][3], "71.00% ± 1.41%");
  EXPECT_EQ(folded.rows[0][5], "80.00%");
  EXPECT_EQ(headers(table("exit_*")).size(), 2u + 5u);
}

TEST_F(reports_named_metrics, RowsSortByANamedMetric) {
  const Table by_fraction = table("exit_fraction.1", SortOrder{"exit_fraction.1", false});
  EXPECT_EQ(by_fraction.rows[0][0], "early_exit");  // the row without the metric comes last
  const Table by_ratio = table("test_accuracy", SortOrder{"compression_ratio", true});
  EXPECT_EQ(by_ratio.rows[0][0], "early_exit");
  EXPECT_NE(invalid_argument_of([&] { table("test_accuracy", SortOrder{"exit_fracton.1", false}); })
                .find("did you mean 'exit_fraction.1'?"),
            std::string::npos);
}

TEST_F(reports_named_metrics, UnknownNamesAndEmptyPatternsNameTheClosestKnownName) {
  EXPECT_EQ(invalid_argument_of([&] { table("exit_fracton.1"); }),
            "unknown column 'exit_fracton.1' (did you mean 'exit_fraction.1'?)");
  EXPECT_EQ(invalid_argument_of([&] { table("exit_acuracy.*"); }),
            "unknown column pattern 'exit_acuracy.*' (did you mean 'exit_accuracy.1', 'exit_accuracy.2' or "
            "'exit_accuracy.10'?)");
  // present only in runs the selection leaves out
  EXPECT_EQ(invalid_argument_of([&] { table("exit_fraction.1", std::nullopt, "run_key = 'plain-1'"); })
                .rfind("unknown column 'exit_fraction.1' (known: dataset, ", 0),
            0u);
}

TEST_F(reports_named_metrics, MarkdownAndCsvReportsShowNamedColumns) {
  results::Database db = results::open_for_reading(path_);
  ReportOptions options{{std::string("ee"), std::nullopt}, {}};
  options.layout.columns = "exit_fraction.1";
  std::ostringstream csv;
  write_csv_report(csv, db, options);
  EXPECT_EQ(csv.str(), "sweep,horizontal,runs,exit_fraction.1,exit_fraction.1_std\nee,early_exit,2,0.6,0.0282842712475\n"
                       "ee,none,1,,\n");
  options.layout.columns = "exit_fracton.1";
  std::ostringstream markdown;
  EXPECT_THROW(write_markdown_report(markdown, db, options), std::invalid_argument);
  EXPECT_EQ(markdown.str(), "");
}

TEST_F(reports_named_metrics, CompareShowsNamedMetricDifferencesInTheirUnit) {
  results::Database db = results::open_for_reading(path_);
  const Selection a{std::string("ee"), std::string("seed = 1")};
  const Selection b{std::string("ee"), std::string("seed = 2")};
  CompareLayout layout;
  layout.columns = std::string("exit_fraction.1,compression_ratio,exit_flops.*");
  const Table table = compare_table(db, a, b, layout);
  EXPECT_EQ(headers(table), (std::vector<std::string>{
                                "horizontal", "runs (A)", "runs (B)", "exit_fraction.1 (A)", "exit_fraction.1 (B)",
                                "exit_fraction.1 (B - A)", "compression ratio (A)", "compression ratio (B)",
                                "compression ratio (B - A)", "exit_flops.1 (A)", "exit_flops.1 (B)",
                                "exit_flops.1 (B - A)"}));
  ASSERT_EQ(table.rows.size(), 2u);  // A: early_exit and plain; B: early_exit
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"early_exit", "1", "1", "62.00%", "58.00%", "-4.00 pp", "0.0123",
                                                    "0.0125", "+0.0002", "88K", "", ""}));
  EXPECT_EQ(table.rows[1], (std::vector<std::string>{"none", "1", "", "", "", "", "", "", "", "", "", ""}));
}

TEST_F(reports_named_metrics, JsonObjectsHoldTheirNamedMetricsAndTheCompressionRatio) {
  results::Database db = results::open_for_reading(path_);
  const json runs = runs_json(db, {std::string("ee"), std::nullopt}, std::nullopt);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].at("compression_ratio"), 0.0123);
  EXPECT_EQ(runs[0].at("metrics").at("exit_flops.1"), 88000.0);
  EXPECT_EQ(runs[1].at("metrics"), (json{{"exit_accuracy.1", 0.72}, {"exit_fraction.1", 0.58}}));
  EXPECT_EQ(runs[2].at("metrics"), json::object());
  EXPECT_TRUE(runs[2].at("compression_ratio").is_null());
}

TEST_F(reports_named_metrics, QueryJoinsRunMetrics) {
  const Table table = run_query(path_,
                                "SELECT r.run_key, m.value FROM runs r JOIN run_metrics m ON m.run_id = r.id "
                                "WHERE m.name = 'exit_fraction.1' ORDER BY r.id");
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"ee-1", "0.62"}));
  EXPECT_EQ(table.rows[1], (std::vector<std::string>{"ee-2", "0.58"}));
}

}  // namespace
}  // namespace iddl::reports
