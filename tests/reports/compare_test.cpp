#include "reports/compare.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "results/schema.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

class reports_compare : public ::testing::Test {
 protected:
  void SetUp() override { test_support::write_sample_db(path_); }

  Table compare(const Selection& a, const Selection& b, const std::string& metric_list) {
    results::Database db = results::open_for_reading(path_);
    CompareLayout layout;
    layout.columns = metric_list;
    return compare_table(db, a, b, layout);
  }

  test_support::TempDir dir_;
  const std::string path_ = dir_.file("iddl.db");
};

Selection sweep(const std::string& name, std::optional<std::string> where = std::nullopt) {
  return {name, std::move(where)};
}

std::vector<std::string> headers(const Table& table) {
  std::vector<std::string> names;
  for (const Column& column : table.columns) names.push_back(column.name);
  return names;
}

TEST_F(reports_compare, RowsMatchOnSettingsVaryingWithinEitherSweep) {
  const Table table = compare(sweep("demo"), sweep("other"), "test_accuracy,train_time_s");
  EXPECT_EQ(headers(table),
            (std::vector<std::string>{"parallelism", "ranks", "runs (A)", "runs (B)", "test accuracy (A)",
                                      "test accuracy (B)", "test accuracy (B - A)", "training time (A)",
                                      "training time (B)", "training time (B - A)"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0],
            (std::vector<std::string>{"sync", "2", "2", "", "85.00% ± 7.07%", "", "", "1m45s ± 7.1s", "", ""}));
  EXPECT_EQ(table.rows[1], (std::vector<std::string>{"single", "1", "1", "1", "75.00%", "50.00%", "-25.00 pp", "12.3s",
                                                     "1.5s", "-10.8s"}));
}

TEST_F(reports_compare, RowsOnlyInBComeLastWithEmptyACells) {
  const Table table = compare(sweep("other"), sweep("demo"), "test_accuracy");
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"single", "1", "1", "1", "50.00%", "75.00%", "+25.00 pp"}));
  EXPECT_EQ(table.rows[1], (std::vector<std::string>{"sync", "2", "", "2", "", "85.00% ± 7.07%", ""}));
}

TEST_F(reports_compare, TwoGroupsOfOneSweep) {
  const Table table = compare(sweep("demo", "parallelism = 'single'"), sweep("demo", "parallelism = 'sync'"),
                              "test_accuracy,bytes_sent");
  EXPECT_EQ(headers(table).front(), "runs (A)");  // nothing varies within either group
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0],
            (std::vector<std::string>{"1", "2", "75.00%", "85.00% ± 7.07%", "+10.00 pp", "0 B", "1 MiB", "+1 MiB"}));
  EXPECT_EQ(describe(sweep("demo", "ranks = 2")), "demo where ranks = 2");
  EXPECT_EQ(describe(sweep("demo")), "demo");
}

TEST_F(reports_compare, UnknownSweepOrBadWhereIsAnError) {
  EXPECT_THROW(compare(sweep("demo"), sweep("nope"), "test_accuracy"), std::runtime_error);
  EXPECT_THROW(compare(sweep("demo", "bogus > 1"), sweep("demo"), "test_accuracy"), std::invalid_argument);
  EXPECT_THROW(compare(Selection{}, sweep("demo"), "test_accuracy"), std::invalid_argument);
}

}  // namespace
}  // namespace iddl::reports
