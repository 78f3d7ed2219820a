#include "results/schema.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "results/store.hpp"
#include "tests/results/temp_dir.hpp"

namespace iddl::results {
namespace {

std::string pragma_text(Database& db, const std::string& pragma) {
  Statement statement = db.prepare("PRAGMA " + pragma);
  EXPECT_TRUE(statement.step());
  return statement.column_text(0);
}

TEST(results_schema, OneMigrationPerVersion) { EXPECT_EQ(migrations().size(), static_cast<size_t>(kSchemaVersion)); }

TEST(results_schema, NewStoreHasVersionOneWalAndForeignKeys) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  Database db(path);
  EXPECT_EQ(schema_version(db), 1);
  EXPECT_EQ(pragma_text(db, "journal_mode"), "wal");
  configure_connection(db);
  EXPECT_EQ(pragma_text(db, "foreign_keys"), "1");
  EXPECT_EQ(pragma_text(db, "busy_timeout"), "5000");
}

TEST(results_schema, CreatesTheDocumentedTablesAndIndexes) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  Database db(path);
  Statement names = db.prepare(
      "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' "
      "ORDER BY name)");
  ASSERT_TRUE(names.step());
  EXPECT_EQ(names.column_text(0), "epochs,runs,runs_by_model_dataset,runs_by_status,runs_by_sweep_status,sweeps");
  Statement columns = db.prepare("SELECT count(*) FROM pragma_table_info('runs')");
  ASSERT_TRUE(columns.step());
  EXPECT_EQ(columns.column_int(0), 42);
}

TEST(results_schema, ReopeningACurrentDatabaseChangesNothing) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store(path).register_sweep("s", "", {{"k", 0, {{"seed", 1}}}});
  Store reopened(path);
  Database db(path);
  EXPECT_EQ(schema_version(db), 1);
  Statement count = db.prepare("SELECT count(*) FROM runs");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int(0), 1);
}

TEST(results_schema, RefusesADatabaseFromANewerBuild) {
  test_support::TempDir dir;
  const std::string path = dir.file("future.db");
  Database(path).exec("PRAGMA user_version = 2");
  try {
    Store store(path);
    FAIL() << "expected the newer schema to be refused";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("schema version 2 is newer"), std::string::npos) << message;
  }
  Database db(path);
  EXPECT_EQ(schema_version(db), 2);
  EXPECT_EQ(pragma_text(db, "journal_mode"), "delete");
}

TEST(results_schema, ReadersRequireTheCurrentSchema) {
  test_support::TempDir dir;
  const std::string empty = dir.file("empty.db");
  Database(empty).exec("CREATE TABLE other (x)");
  Database reader(empty, Database::Mode::ReadOnly);
  EXPECT_THROW(require_current_schema(reader), std::runtime_error);

  const std::string current = dir.file("iddl.db");
  Store store(current);
  Database current_reader(current, Database::Mode::ReadOnly);
  EXPECT_NO_THROW(require_current_schema(current_reader));
}

}  // namespace
}  // namespace iddl::results
