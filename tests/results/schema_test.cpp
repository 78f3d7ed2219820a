#include "results/schema.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "matrix/run_key.hpp"
#include "results/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::results {
namespace {

std::string pragma_text(Database& db, const std::string& pragma) {
  Statement statement = db.prepare("PRAGMA " + pragma);
  EXPECT_TRUE(statement.step());
  return statement.column_text(0);
}

TEST(results_schema, OneMigrationPerVersion) { EXPECT_EQ(migrations().size(), static_cast<size_t>(kSchemaVersion)); }

TEST(results_schema, NewStoreHasCurrentVersionWalAndTheConnectionSettings) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  Database db(path);
  EXPECT_EQ(schema_version(db), kSchemaVersion);
  EXPECT_EQ(pragma_text(db, "journal_mode"), "wal");
  configure_connection(db);
  EXPECT_EQ(pragma_text(db, "foreign_keys"), "1");
  EXPECT_EQ(pragma_text(db, "synchronous"), "1");  // NORMAL
  EXPECT_EQ(pragma_text(db, "wal_autocheckpoint"), "10000");
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
  EXPECT_EQ(names.column_text(0),
            "artifacts,artifacts_go_with_their_run,epochs,iddl_meta,run_labels_go_with_their_run,run_metrics,run_notes,"
            "run_tags,run_tags_by_tag,runs,runs_by_model_dataset,runs_by_status,runs_by_sweep,runs_by_sweep_finished,"
            "runs_by_sweep_started,runs_by_sweep_status,runs_delete_dependents,sweeps,sweeps_delete_runs");
  Statement columns = db.prepare("SELECT count(*) FROM pragma_table_info('runs')");
  ASSERT_TRUE(columns.step());
  EXPECT_EQ(columns.column_int(0), 60);
}

TEST(results_schema, ReopeningACurrentDatabaseChangesNothing) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store(path).register_sweep("s", "", {{"k", 0, {{"seed", 1}}}});
  Store reopened(path);
  Database db(path);
  EXPECT_EQ(schema_version(db), kSchemaVersion);
  Statement count = db.prepare("SELECT count(*) FROM runs");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int(0), 1);
}

TEST(results_schema, VersionOneDatabaseMigratesInPlaceKeepingItsRows) {
  test_support::TempDir dir;
  const std::string path = dir.file("v1.db");
  {  // what the previous build wrote: migration 1 only, one sweep with one finished run
    Database v1(path);
    v1.exec(migrations().at(0));
    v1.exec("PRAGMA user_version = 1");
    v1.exec("INSERT INTO sweeps (id, name, file, created_at) VALUES (1, 'old', 'old.toml', '2024-01-01T00:00:00Z')");
    v1.exec("INSERT INTO runs (id, sweep_id, run_key, repeat, config, parallelism, status, host, test_accuracy) "
            "VALUES (1, 1, 'k1', 0, '{\"parallelism\":\"sync\",\"seed\":1}', 'sync', 'done', 'n1', 0.875)");
    v1.exec("INSERT INTO epochs (run_id, epoch, train_loss) VALUES (1, 1, 0.5)");
  }
  Store store(path);
  {
    Database db(path);
    EXPECT_EQ(schema_version(db), kSchemaVersion);
    Statement run = db.prepare(
        "SELECT run_key, parallelism, status, host, test_accuracy, iddl_commit, compiler, cpu_model, cpu_cores "
        "FROM runs WHERE id = 1");
    ASSERT_TRUE(run.step());
    EXPECT_EQ(run.column_text(0), matrix::run_key(nlohmann::json{{"parallelism", "sync"}, {"seed", 1}}));  // re-keyed from its config
    EXPECT_EQ(run.column_text(1), "sync");
    EXPECT_EQ(run.column_text(2), "done");
    EXPECT_EQ(run.column_text(3), "n1");
    EXPECT_EQ(run.column_real(4), 0.875);
    for (int column = 5; column <= 8; ++column) EXPECT_TRUE(run.column_is_null(column)) << column;
    Statement epoch = db.prepare("SELECT train_loss FROM epochs WHERE run_id = 1 AND epoch = 1");
    ASSERT_TRUE(epoch.step());
    EXPECT_EQ(epoch.column_real(0), 0.5);
    EXPECT_NE(pragma_text(db, "foreign_key_list('epochs')").size(), 0u);  // still references runs
    Statement epochs_sql = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'epochs'");
    ASSERT_TRUE(epochs_sql.step());
    EXPECT_NE(epochs_sql.column_text(0).find("WITHOUT ROWID"), std::string::npos) << epochs_sql.column_text(0);
  }
  store.record_started(1, {{"iddl_commit", "abc123"}, {"cpu_cores", 16}});
  Database db(path);
  Statement recorded = db.prepare("SELECT iddl_commit, cpu_cores FROM runs WHERE id = 1");
  ASSERT_TRUE(recorded.step());
  EXPECT_EQ(recorded.column_text(0), "abc123");
  EXPECT_EQ(recorded.column_int(1), 16);
}

TEST(results_schema, VersionTwoDatabaseMigratesToCurrentKeepingItsRows) {
  test_support::TempDir dir;
  const std::string path = dir.file("v2.db");
  {  // what the previous build wrote: migrations 1 and 2, one sweep with one finished run
    Database v2(path);
    v2.exec(migrations().at(0));
    v2.exec(migrations().at(1));
    v2.exec("PRAGMA user_version = 2");
    v2.exec("INSERT INTO sweeps (id, name, file, created_at) VALUES (1, 'old', 'old.toml', '2024-01-01T00:00:00Z')");
    v2.exec("INSERT INTO runs (id, sweep_id, run_key, repeat, config, status, cpu_cores, test_accuracy) "
            "VALUES (1, 1, 'k1', 0, '{\"seed\":1}', 'done', 8, 0.875)");
    v2.exec("INSERT INTO epochs (run_id, epoch, train_loss) VALUES (1, 1, 0.5)");
  }
  Store store(path);
  {
    Database db(path);
    EXPECT_EQ(schema_version(db), kSchemaVersion);
    Statement run = db.prepare("SELECT run_key, status, cpu_cores, test_accuracy, compression_ratio FROM runs");
    ASSERT_TRUE(run.step());
    EXPECT_EQ(run.column_text(0), matrix::run_key(nlohmann::json{{"seed", 1}}));  // re-keyed from its config
    EXPECT_EQ(run.column_text(1), "done");
    EXPECT_EQ(run.column_int(2), 8);
    EXPECT_EQ(run.column_real(3), 0.875);
    EXPECT_TRUE(run.column_is_null(4));
    Statement epoch = db.prepare("SELECT train_loss FROM epochs WHERE run_id = 1 AND epoch = 1");
    ASSERT_TRUE(epoch.step());
    EXPECT_EQ(epoch.column_real(0), 0.5);
    Statement metrics = db.prepare("SELECT count(*) FROM run_metrics");
    ASSERT_TRUE(metrics.step());
    EXPECT_EQ(metrics.column_int(0), 0);
    Statement metrics_sql = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'run_metrics'");
    ASSERT_TRUE(metrics_sql.step());
    EXPECT_NE(metrics_sql.column_text(0).find("WITHOUT ROWID"), std::string::npos) << metrics_sql.column_text(0);
  }
  store.record_finished(1, {{"compression_ratio", 0.0123}, {"metrics", {{"exit_fraction.1", 0.62}}}});
  Database db(path);
  Statement recorded = db.prepare(
      "SELECT r.compression_ratio, m.name, m.value FROM runs r JOIN run_metrics m ON m.run_id = r.id");
  ASSERT_TRUE(recorded.step());
  EXPECT_EQ(recorded.column_real(0), 0.0123);
  EXPECT_EQ(recorded.column_text(1), "exit_fraction.1");
  EXPECT_EQ(recorded.column_real(2), 0.62);
}

TEST(results_schema, VersionThreeDatabaseMigratesToCurrentKeepingItsRows) {
  test_support::TempDir dir;
  const std::string path = dir.file("v3.db");
  {  // what the previous build wrote: migrations 1 to 3, one sweep with one finished run and a named metric
    Database v3(path);
    for (int version = 1; version <= 3; ++version) v3.exec(migrations().at(static_cast<size_t>(version - 1)));
    v3.exec("PRAGMA user_version = 3");
    v3.exec("INSERT INTO sweeps (id, name, file, created_at) VALUES (1, 'old', 'old.toml', '2024-01-01T00:00:00Z')");
    v3.exec("INSERT INTO runs (id, sweep_id, run_key, repeat, config, status, host, cpu_cores, test_accuracy, "
            "compression_ratio) VALUES (1, 1, 'k1', 0, '{\"seed\":1}', 'done', 'n1', 8, 0.875, 0.25)");
    v3.exec("INSERT INTO epochs (run_id, epoch, train_loss) VALUES (1, 1, 0.5)");
    v3.exec("INSERT INTO run_metrics (run_id, name, value) VALUES (1, 'exit_fraction.1', 0.62)");
  }
  Store store(path);
  {
    Database db(path);
    EXPECT_EQ(schema_version(db), kSchemaVersion);
    Statement run = db.prepare(
        "SELECT run_key, status, host, cpu_cores, test_accuracy, compression_ratio, cpu_sockets, memory_bytes, "
        "gpu_name, gpu_count, gpu_memory_bytes, gpu_driver, cuda_version, gpu_topology, nccl_version FROM runs");
    ASSERT_TRUE(run.step());
    EXPECT_EQ(run.column_text(0), matrix::run_key(nlohmann::json{{"seed", 1}}));  // re-keyed from its config
    EXPECT_EQ(run.column_text(1), "done");
    EXPECT_EQ(run.column_text(2), "n1");
    EXPECT_EQ(run.column_int(3), 8);
    EXPECT_EQ(run.column_real(4), 0.875);
    EXPECT_EQ(run.column_real(5), 0.25);
    for (int column = 6; column <= 14; ++column) EXPECT_TRUE(run.column_is_null(column)) << column;
    EXPECT_FALSE(run.step());
    Statement kept = db.prepare(
        "SELECT e.train_loss, m.value FROM epochs e JOIN run_metrics m ON m.run_id = e.run_id WHERE e.run_id = 1");
    ASSERT_TRUE(kept.step());
    EXPECT_EQ(kept.column_real(0), 0.5);
    EXPECT_EQ(kept.column_real(1), 0.62);
  }
  store.record_started(1, {{"gpu_name", "GeForce GTX 970"}, {"gpu_count", 1}, {"cuda_version", "10.2"}});
  Database db(path);
  Statement recorded = db.prepare("SELECT gpu_name, gpu_count, cuda_version, cpu_cores FROM runs WHERE id = 1");
  ASSERT_TRUE(recorded.step());
  EXPECT_EQ(recorded.column_text(0), "GeForce GTX 970");
  EXPECT_EQ(recorded.column_int(1), 1);
  EXPECT_EQ(recorded.column_text(2), "10.2");
  EXPECT_EQ(recorded.column_int(3), 8);
}

TEST(results_schema, RunMetricsGoWithTheirRun) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", {{"k", 0, {{"seed", 1}}}})).front().id;
  store.record_finished(run_id, {{"metrics", {{"member_accuracy.0", 0.84}}}});
  Database db(path);
  configure_connection(db);
  db.exec("DELETE FROM runs");
  Statement count = db.prepare("SELECT count(*) FROM run_metrics");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int(0), 0);
}

TEST(results_schema, IndexesServeThePerSweepReads) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  Database db(path);
  const auto plan = [&](const std::string& sql) {
    Statement explain = db.prepare("EXPLAIN QUERY PLAN " + sql);
    std::string details;
    while (explain.step()) details += explain.column_text(3) + "\n";
    return details;
  };
  const std::string in_order = plan("SELECT * FROM runs WHERE sweep_id = 1 ORDER BY id");
  EXPECT_NE(in_order.find("USING INDEX runs_by_sweep "), std::string::npos) << in_order;
  EXPECT_EQ(in_order.find("TEMP B-TREE"), std::string::npos) << in_order;
  const std::string latest = plan("SELECT max(finished_at) FROM runs WHERE sweep_id = 1");
  EXPECT_NE(latest.find("COVERING INDEX runs_by_sweep_finished"), std::string::npos) << latest;
  const std::string counts = plan("SELECT sweep_id, status, count(*) FROM runs GROUP BY sweep_id, status");
  EXPECT_NE(counts.find("COVERING INDEX runs_by_sweep_status"), std::string::npos) << counts;
}

TEST(results_schema, RefusesADatabaseFromANewerBuild) {
  test_support::TempDir dir;
  const std::string path = dir.file("future.db");
  const int future = kSchemaVersion + 1;
  Database(path).exec("PRAGMA user_version = " + std::to_string(future));
  try {
    Store store(path);
    FAIL() << "expected the newer schema to be refused";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("schema version " + std::to_string(future) + " is newer"), std::string::npos) << message;
  }
  Database db(path);
  EXPECT_EQ(schema_version(db), future);
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
