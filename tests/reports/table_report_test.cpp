// The markdown and CSV reports with a selection and a layout: --where, --group-by, --columns, --sort.
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

#include "reports/markdown_report.hpp"
#include "results/schema.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

class reports_table_report : public ::testing::Test {
 protected:
  void SetUp() override { test_support::write_sample_db(path_); }

  // The folded table of the demo sweep's done runs with the layout.
  Table demo_table(const TableLayout& layout, std::optional<std::string> where = std::nullopt) {
    results::Database db = results::open_for_reading(path_);
    const RunSet set = load_runs(db, {std::string("demo"), std::move(where)}, layout.group_by);
    return folded_table(set, with_status(set, results::RunStatus::Done), layout);
  }

  std::string markdown(const ReportOptions& options) {
    results::Database db = results::open_for_reading(path_);
    std::ostringstream out;
    write_markdown_report(out, db, options);
    return out.str();
  }

  test_support::TempDir dir_;
  const std::string path_ = dir_.file("iddl.db");
};

std::vector<std::string> headers(const Table& table) {
  std::vector<std::string> names;
  for (const Column& column : table.columns) names.push_back(column.name);
  return names;
}

TableLayout layout(std::vector<std::string> group_by, const std::string& metric_list,
                   std::optional<SortOrder> sort = std::nullopt) {
  TableLayout chosen;
  chosen.group_by = std::move(group_by);
  chosen.columns = metric_list;
  chosen.sort = std::move(sort);
  return chosen;
}

TEST_F(reports_table_report, ColumnsAreTheNamedMetricsInTheirOrder) {
  const Table table = demo_table(layout({}, "test_accuracy,train_time_s"));
  EXPECT_EQ(headers(table),
            (std::vector<std::string>{"parallelism", "ranks", "runs", "test accuracy", "training time"}));
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"sync", "2", "2", "85.00% ± 7.07%", "1m45s ± 7.1s"}));
}

TEST_F(reports_table_report, GroupByFoldsRunsSharingTheNamedSettings) {
  const Table by_seed = demo_table(layout({"seed"}, "test_accuracy"));
  EXPECT_EQ(headers(by_seed), (std::vector<std::string>{"seed", "runs", "test accuracy"}));
  ASSERT_EQ(by_seed.rows.size(), 2u);
  EXPECT_EQ(by_seed.rows[0], (std::vector<std::string>{"1", "2", "77.50% ± 3.54%"}));  // sync-1 and single-1
  EXPECT_EQ(by_seed.rows[1], (std::vector<std::string>{"2", "1", "90.00%"}));

  const Table by_axis = demo_table(layout({"parallelism", "dataset"}, "test_accuracy"));
  ASSERT_EQ(by_axis.rows.size(), 2u);
  EXPECT_EQ(by_axis.rows[0], (std::vector<std::string>{"sync", "fashion-mnist", "2", "85.00% ± 7.07%"}));
}

TEST_F(reports_table_report, GroupByARunsColumnThatIsNoSetting) {
  const Table table = demo_table(layout({"host"}, "test_accuracy"));
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"node-1", "3", "81.67% ± 7.64%"}));
}

TEST_F(reports_table_report, UnknownGroupByNameSuggestsTheClosest) {
  try {
    demo_table(layout({"modle"}, "test_accuracy"));
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "unknown setting or column 'modle' (did you mean 'model'?)");
  }
}

TEST_F(reports_table_report, SortByAMetricSettingOrRunCount) {
  const auto first_cells = [](const Table& table) {
    std::vector<std::string> cells;
    for (const auto& row : table.rows) cells.push_back(row[0]);
    return cells;
  };
  EXPECT_EQ(first_cells(demo_table(layout({}, "test_accuracy", SortOrder{"test_accuracy", false}))),
            (std::vector<std::string>{"single", "sync"}));
  EXPECT_EQ(first_cells(demo_table(layout({}, "test_accuracy", SortOrder{"test_accuracy", true}))),
            (std::vector<std::string>{"sync", "single"}));
  EXPECT_EQ(first_cells(demo_table(layout({}, "epochs", SortOrder{"parallelism", false}))),
            (std::vector<std::string>{"single", "sync"}));
  EXPECT_EQ(first_cells(demo_table(layout({}, "epochs", SortOrder{"ranks", true}))),
            (std::vector<std::string>{"sync", "single"}));
  EXPECT_EQ(first_cells(demo_table(layout({"seed"}, "epochs", SortOrder{"runs", false}))),
            (std::vector<std::string>{"2", "1"}));
  EXPECT_EQ(first_cells(demo_table(layout({}, "epochs", SortOrder{"bandwidth_Bps", false}))),
            (std::vector<std::string>{"sync", "single"}));  // single has no bandwidth: last either way
  EXPECT_EQ(first_cells(demo_table(layout({}, "epochs", SortOrder{"bandwidth_Bps", true}))),
            (std::vector<std::string>{"sync", "single"}));
}

TEST_F(reports_table_report, UnknownSortColumnIsAnError) {
  EXPECT_THROW(demo_table(layout({}, "epochs", SortOrder{"accuracy", false})), std::invalid_argument);
  EXPECT_EQ(parse_sort("-test_accuracy").column, "test_accuracy");
  EXPECT_TRUE(parse_sort("-test_accuracy").descending);
  EXPECT_FALSE(parse_sort("ranks").descending);
  EXPECT_THROW(parse_sort("-"), std::invalid_argument);
}

TEST_F(reports_table_report, WhereSelectsRunsByTheirColumns) {
  const Table table = demo_table(TableLayout{}, "ranks = 2 AND test_accuracy > 0.85");
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0][0], "sync-2");  // nothing varies: the run key says which run the row is
  EXPECT_EQ(table.rows[0][1], "1");
  EXPECT_EQ(table.rows[0][4], "90.00%");
  const Table by_method = demo_table(TableLayout{}, "parallelism = 'single'");  // the method name column
  ASSERT_EQ(by_method.rows.size(), 1u);
  EXPECT_EQ(by_method.rows[0][0], "single-1");
  EXPECT_EQ(by_method.rows[0][4], "75.00%");
}

TEST_F(reports_table_report, BadWhereQuotesTheExpressionAndSqliteMessage) {
  try {
    demo_table(TableLayout{}, "rank = 2");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "bad where expression \"rank = 2\": no such column: rank");
  }
  EXPECT_THROW(demo_table(TableLayout{}, "ranks ="), std::invalid_argument);
  EXPECT_THROW(demo_table(TableLayout{}, "1; DELETE FROM runs"), std::invalid_argument);
}

TEST_F(reports_table_report, MarkdownWithWhereShowsOnlySweepsWithSelectedRuns) {
  const std::string text = markdown({{std::nullopt, std::string("parallelism = 'sync'")}, TableLayout{}});
  EXPECT_NE(text.find("## demo\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("## other"), std::string::npos) << text;
  EXPECT_NE(text.find("runs: 1 pending, 2 done, 1 failed;"), std::string::npos) << text;
  EXPECT_EQ(markdown({{std::nullopt, std::string("ranks = 99")}, TableLayout{}}), "No runs match ranks = 99.\n");
}

TEST_F(reports_table_report, MarkdownErrorsPrintNothing) {
  results::Database db = results::open_for_reading(path_);
  std::ostringstream out;
  ReportOptions options;
  options.layout.group_by = {"nope"};
  EXPECT_THROW(write_markdown_report(out, db, options), std::invalid_argument);
  EXPECT_EQ(out.str(), "");
}

TEST(reports_table_report_upgrade, RunsWithAxesAsStringsOrObjectsFoldTogether) {
  test_support::TempDir dir;
  const std::string path = dir.file("mixed.db");
  {
    results::Store store(path);
    nlohmann::json before = test_support::demo_config("sync", 2, 1);  // as an older build resolved it
    for (const char* axis : {"sparsification", "vertical", "horizontal", "compression", "parallelism"}) {
      before[axis] = before[axis]["method"];
    }
    const int64_t sweep =
        store.register_sweep("s", "", {{"old", 0, before}, {"new", 1, test_support::demo_config("sync", 2, 2)}});
    const auto runs = store.runs_of(sweep);
    test_support::run_to_done(store, runs[0].id, test_support::finished(100, 0.8, 0, std::nullopt));
    test_support::run_to_done(store, runs[1].id, test_support::finished(110, 0.9, 0, std::nullopt));
  }
  results::Database db = results::open_for_reading(path);
  const Table table = sweep_table(db, "s");
  EXPECT_EQ(headers(table).front(), "run");  // nothing varies: the run keys say which runs
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0][0], "old, new");
  EXPECT_EQ(table.rows[0][1], "2");
}

TEST_F(reports_table_report, CsvIsOneTableOfEverySweepWithASweepColumn) {
  results::Database db = results::open_for_reading(path_);
  std::ostringstream out;
  ReportOptions options;
  options.layout = layout({}, "test_accuracy,train_time_s", SortOrder{"test_accuracy", true});
  write_csv_report(out, db, options);
  EXPECT_EQ(out.str(),
            "sweep,parallelism,ranks,runs,test_accuracy,test_accuracy_std,train_time_s,train_time_s_std\n"
            "demo,sync,2,2,0.85,0.0707106781187,105,7.07106781187\n"
            "demo,single,1,1,0.75,,12.34,\n"
            "other,single,1,1,0.5,,1.5,\n");
  options.human = true;
  std::ostringstream human;
  write_csv_report(human, db, options);
  EXPECT_EQ(human.str(),
            "sweep,parallelism,ranks,runs,test accuracy,training time\n"
            "demo,sync,2,2,85.00% ± 7.07%,1m45s ± 7.1s\n"
            "demo,single,1,1,75.00%,12.3s\n"
            "other,single,1,1,50.00%,1.5s\n");
}

}  // namespace
}  // namespace iddl::reports
