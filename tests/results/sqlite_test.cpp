#include "results/sqlite.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "tests/support/temp_dir.hpp"

namespace iddl::results {
namespace {

TEST(results_sqlite, BindsAndReadsEachType) {
  test_support::TempDir dir;
  Database db(dir.file("types.db"));
  db.exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT, n TEXT)");
  db.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)")
      .bind_int(1, 9007199254740993)
      .bind_real(2, 0.1)
      .bind_text(3, "a|b")
      .bind_null(4)
      .run();
  Statement select = db.prepare("SELECT i, r, s, n FROM t");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_count(), 4);
  EXPECT_EQ(select.column_name(2), "s");
  EXPECT_EQ(select.column_int(0), 9007199254740993);
  EXPECT_EQ(select.column_real(1), 0.1);
  EXPECT_EQ(select.column_text(2), "a|b");
  EXPECT_EQ(select.column_type(0), ValueType::Integer);
  EXPECT_EQ(select.column_type(1), ValueType::Real);
  EXPECT_TRUE(select.column_is_null(3));
  EXPECT_EQ(select.column_text(3), "");
  EXPECT_FALSE(select.step());
}

TEST(results_sqlite, TransactionRollsBackUnlessCommitted) {
  test_support::TempDir dir;
  Database db(dir.file("tx.db"));
  db.exec("CREATE TABLE t (x INTEGER)");
  {
    Transaction abandoned(db);
    db.exec("INSERT INTO t VALUES (1)");
  }
  {
    Transaction kept(db);
    db.exec("INSERT INTO t VALUES (2)");
    kept.commit();
  }
  Statement select = db.prepare("SELECT group_concat(x) FROM t");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_text(0), "2");
}

TEST(results_sqlite, ErrorsNameTheFileAndSqliteMessage) {
  test_support::TempDir dir;
  const std::string path = dir.file("errors.db");
  Database db(path);
  try {
    db.prepare("SELECT * FROM missing_table");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("no such table: missing_table"), std::string::npos) << error.what();
  }
}

TEST(results_sqlite, ErrorsCarrySqliteOwnMessage) {
  test_support::TempDir dir;
  Database db(dir.file("errors.db"));
  try {
    db.prepare("SELECT nope");
    FAIL() << "expected an error";
  } catch (const SqliteError& error) {
    EXPECT_EQ(error.sqlite_message(), "no such column: nope");
  }
}

TEST(results_sqlite, PrepareRefusesMoreThanOneStatement) {
  test_support::TempDir dir;
  Database db(dir.file("multi.db"));
  EXPECT_THROW(db.prepare("SELECT 1; SELECT 2"), std::runtime_error);
  EXPECT_NO_THROW(db.prepare("SELECT 1; -- a trailing comment"));
}

TEST(results_sqlite, ReadOnlyOpenNeverCreatesTheFile) {
  test_support::TempDir dir;
  const std::string path = dir.file("absent.db");
  try {
    Database db(path, Database::Mode::ReadOnly);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(results_sqlite, ReadOnlyConnectionCannotWrite) {
  test_support::TempDir dir;
  const std::string path = dir.file("ro.db");
  Database(path).exec("CREATE TABLE t (x INTEGER)");
  Database db(path, Database::Mode::ReadOnly);
  EXPECT_THROW(db.exec("INSERT INTO t VALUES (1)"), std::runtime_error);
}

// A read-only connection cannot delete the -wal and -shm files when it closes; the last one on a file removes them
// all the same, and one closing while a writer is open leaves the writer's files alone.
TEST(results_sqlite, TheLastReaderLeavesNoWriteAheadLogFilesBehind) {
  test_support::TempDir dir;
  const std::string path = dir.file("wal.db");
  const auto wal_files = [&] {
    return std::filesystem::exists(path + "-wal") || std::filesystem::exists(path + "-shm");
  };
  {
    Database writer(path);
    writer.exec("PRAGMA journal_mode = WAL");
    writer.exec("CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (1)");
    {
      Database reader(path, Database::Mode::ReadOnly);
      Statement count = reader.prepare("SELECT count(*) FROM t");
      ASSERT_TRUE(count.step());
    }
    EXPECT_TRUE(wal_files());  // the writer's
    writer.exec("INSERT INTO t VALUES (2)");
  }
  EXPECT_FALSE(wal_files());
  {
    Database reader(path, Database::Mode::ReadOnly);
    Statement count = reader.prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(count.step());
    EXPECT_EQ(count.column_int(0), 2);
    EXPECT_TRUE(wal_files());
  }
  EXPECT_FALSE(wal_files());
}

}  // namespace
}  // namespace iddl::results
