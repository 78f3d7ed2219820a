#include "reports/query.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "results/schema.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

TEST(reports_query, ReturnsRowsWithNullAsEmptyAndNumbersRightAligned) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  test_support::write_sample_db(path);
  const Table table =
      run_query(path, "SELECT run_key, ranks, bandwidth_Bps FROM runs WHERE status = 'done' ORDER BY id");
  ASSERT_EQ(table.columns.size(), 3u);
  EXPECT_EQ(table.columns[0].name, "run_key");
  EXPECT_EQ(table.columns[0].align, Align::Left);
  EXPECT_EQ(table.columns[1].align, Align::Right);
  EXPECT_EQ(table.columns[2].align, Align::Right);
  ASSERT_EQ(table.rows.size(), 4u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"sync-1", "2", "1500000.0"}));
  EXPECT_EQ(table.rows[2], (std::vector<std::string>{"single-1", "1", ""}));
}

TEST(reports_query, RefusesStatementsThatWrite) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  test_support::write_sample_db(path);
  for (const std::string sql : {"DELETE FROM runs", "UPDATE runs SET status = 'done'", "PRAGMA user_version = 7",
                                "CREATE TABLE t (x)"}) {
    try {
      run_query(path, sql);
      ADD_FAILURE() << "expected a refusal of " << sql;
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("read-only"), std::string::npos) << error.what();
    }
  }
  EXPECT_EQ(run_query(path, "SELECT count(*) FROM runs").rows[0][0], "6");
  EXPECT_EQ(run_query(path, "PRAGMA user_version").rows[0][0], std::to_string(results::kSchemaVersion));
}

TEST(reports_query, RefusesASecondStatement) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  test_support::write_sample_db(path);
  EXPECT_THROW(run_query(path, "SELECT 1; DELETE FROM runs"), std::runtime_error);
  EXPECT_EQ(run_query(path, "SELECT count(*) FROM runs").rows[0][0], "6");
}

TEST(reports_query, MissingDatabaseIsAnErrorAndIsNotCreated) {
  test_support::TempDir dir;
  const std::string path = dir.file("missing.db");
  try {
    run_query(path, "SELECT 1");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(reports_query, BadSqlNamesTheProblem) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  test_support::write_sample_db(path);
  try {
    run_query(path, "SELECT nope FROM runs");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("no such column: nope"), std::string::npos) << error.what();
  }
}

TEST(reports_query, RefusesPragmasThatSetAValue) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  test_support::write_sample_db(path);
  for (const std::string sql : {"PRAGMA writable_schema = 1", "PRAGMA writable_schema(1)", "PRAGMA journal_mode = DELETE",
                                "PRAGMA query_only = 0", "PRAGMA main.cache_size = 10"}) {
    try {
      run_query(path, sql);
      ADD_FAILURE() << "expected a refusal of " << sql;
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("read-only"), std::string::npos) << error.what();
    }
  }
  EXPECT_EQ(run_query(path, "PRAGMA table_info(sweeps)").rows.size(), 4u);
  EXPECT_EQ(run_query(path, "PRAGMA integrity_check").rows[0][0], "ok");
}

TEST(reports_query, AnEndlessQueryStopsAtItsTimeLimit) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  test_support::write_sample_db(path);
  const auto start = std::chrono::steady_clock::now();
  try {
    run_query(path, "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
              std::chrono::milliseconds(300));
    FAIL() << "expected the query to be stopped";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("longer than its time limit of 0.3 s"), std::string::npos) << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(run_query(path, "SELECT count(*) FROM runs", std::chrono::milliseconds(300)).rows[0][0], "6");
}

}  // namespace
}  // namespace iddl::reports
