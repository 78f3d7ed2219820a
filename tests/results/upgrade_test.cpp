// A database written by an earlier release (tests/fixtures/quickstart-v4.db: sweeps/quickstart.toml run
// with schema version 4 and run-key version 1) upgrades in place: re-keyed, nothing else changed, with a
// backup copy; runs that meet on one key keep both rows; a run stored under key version 2 that relied on a
// default version 3 changed keeps its meaning, and the same sweep file now plans the new default as a new run.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "matrix/config.hpp"
#include "matrix/run_key.hpp"
#include "matrix/sweep_file.hpp"
#include "results/run_rekey.hpp"
#include "results/schema.hpp"
#include "results/store.hpp"
#include "tests/results/rows.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::results {
namespace {

namespace fs = std::filesystem;
using test_support::rows;
using test_support::Rows;

const std::string kFixture = std::string(IDDL_SOURCE_DIR) + "/tests/fixtures/quickstart-v4.db";

// The fixture's run columns but the key, the epochs and the named metrics: what an upgrade must keep.
const char* const kKeptRuns =
    "SELECT id, sweep_id, repeat, config, status, exit_code, error, host, started_at, finished_at, train_loss, "
    "test_loss, test_accuracy, train_time_s, params, flops, bytes_sent, bytes_received, comm_time_s, bandwidth_Bps, "
    "cpu_model, iddl_commit FROM runs ORDER BY id";
// The epochs' columns of version 4 (version 9 adds comm_total_time_s, NULL for the rows before it).
const char* const kEpochs =
    "SELECT run_id, epoch, train_loss, test_loss, test_accuracy, epoch_time_s, bytes_sent, bytes_received, "
    "comm_time_s, bandwidth_Bps FROM epochs ORDER BY run_id, epoch";
const char* const kMetrics = "SELECT * FROM run_metrics ORDER BY run_id, name";

std::string copy_of_fixture(const test_support::TempDir& dir) {
  const std::string path = dir.file("quickstart.db");
  fs::copy_file(kFixture, path);
  return path;
}

TEST(results_upgrade, TheFixtureIsARealVersionFourDatabase) {
  test_support::TempDir dir;
  const std::string path = copy_of_fixture(dir);  // a reader of a WAL database leaves -wal and -shm files
  Database db(path, Database::Mode::ReadOnly);
  EXPECT_EQ(schema_version(db), 4);
  EXPECT_EQ(stored_run_key_version(db), 1);
  EXPECT_EQ(rows(path, "SELECT count(*) FROM runs WHERE status = 'done'"),
            (std::vector<std::vector<std::string>>{{"4"}}));
}

TEST(results_upgrade, OpeningReKeysEveryRunAndKeepsEverythingElse) {
  test_support::TempDir dir;
  const std::string path = copy_of_fixture(dir);
  const auto runs_before = rows(path, kKeptRuns);
  const auto epochs_before = rows(path, kEpochs);
  const auto metrics_before = rows(path, kMetrics);
  const auto keys_before = rows(path, "SELECT run_key FROM runs ORDER BY id");

  Store store(path);

  Database db(path, Database::Mode::ReadOnly);
  EXPECT_EQ(schema_version(db), kSchemaVersion);
  EXPECT_EQ(stored_run_key_version(db), matrix::kRunKeyVersion);
  EXPECT_EQ(rows(path, kKeptRuns), runs_before);
  EXPECT_EQ(rows(path, kEpochs), epochs_before);
  EXPECT_EQ(rows(path, kMetrics), metrics_before);
  for (const auto& row : rows(path, "SELECT run_key, config, in_plan FROM runs ORDER BY id")) {
    EXPECT_EQ(row[0], matrix::run_key(nlohmann::json::parse(row[1])));
    EXPECT_EQ(row[2], "1");
  }
  EXPECT_NE(rows(path, "SELECT run_key FROM runs ORDER BY id"), keys_before);

  // The backup is the database as it was, under its old schema and keys.
  const std::string backup = path + ".schema-v4.bak";
  ASSERT_TRUE(fs::exists(backup));
  EXPECT_EQ(rows(backup, "PRAGMA user_version"), (std::vector<std::vector<std::string>>{{"4"}}));
  EXPECT_EQ(rows(backup, "SELECT run_key FROM runs ORDER BY id"), keys_before);
  EXPECT_EQ(rows(backup, kEpochs), epochs_before);
}

TEST(results_upgrade, ReopeningAnUpgradedDatabaseTakesNoSecondBackup) {
  test_support::TempDir dir;
  const std::string path = copy_of_fixture(dir);
  { Store first(path); }
  const auto keys = rows(path, "SELECT run_key FROM runs ORDER BY id");
  Store reopened(path);
  EXPECT_EQ(rows(path, "SELECT run_key FROM runs ORDER BY id"), keys);
  EXPECT_FALSE(fs::exists(path + ".schema-v4.bak.2"));
  EXPECT_FALSE(fs::exists(path + ".schema-v" + std::to_string(kSchemaVersion) + ".bak"));
}

TEST(results_upgrade, ReadersUpgradeAWritableOldDatabase) {
  test_support::TempDir dir;
  const std::string path = copy_of_fixture(dir);
  Database reader = open_for_reading(path);
  EXPECT_EQ(schema_version(reader), kSchemaVersion);
  EXPECT_EQ(stored_run_key_version(reader), matrix::kRunKeyVersion);
}

TEST(results_upgrade, RunsMeetingOnOneKeyKeepTheTrustedOneAndBothRows) {
  test_support::TempDir dir;
  const std::string path = dir.file("meet.db");
  {  // keys made by an older key version: a failed and a done run that are the same experiment now
    Store store(path);
    store.register_sweep("s", "s.toml",
                         {{"old-failed", 0, {{"model", "lenet"}}}, {"old-done", 0, {{"model", "lenet"}, {"lr", 0.05}}}});
    Database db(path);
    db.exec("UPDATE runs SET status = 'failed', finished_at = '2026-01-02T00:00:00Z' WHERE run_key = 'old-failed'");
    db.exec("UPDATE runs SET status = 'done', finished_at = '2026-01-01T00:00:00Z' WHERE run_key = 'old-done'");
    db.exec("UPDATE iddl_meta SET value = '1' WHERE name = 'run_key_version'");
  }
  const nlohmann::json defaults = matrix::defining_settings({{"model", "lenet"}, {"lr", 0.05}});
  ASSERT_EQ(defaults, (nlohmann::json{{"model", "lenet"}})) << "the test needs lr = 0.05 to be the default";
  Store store(path);
  const std::string key = matrix::run_key(nlohmann::json{{"model", "lenet"}});
  EXPECT_EQ(rows(path, "SELECT status, run_key FROM runs ORDER BY id"),
            (std::vector<std::vector<std::string>>{{"failed", key + "-superseded-1"}, {"done", key}}));
}

TEST(results_upgrade, AStoredRandomKRunKeepsItsScaledMeaningUnderKeyVersionThree) {
  // Key version 2 scaled randomk by default: a sweep asking for plain "randomk" stored a done run whose
  // resolved config holds scaled = true, under version 2's key (FNV-1a of "iddl-run-key/2" and its defining
  // settings {"compression":{"method":"randomk"},"parallelism":{"method":"sync"},"ranks":2}).
  const std::string sweep_text = R"([sweep]
name = "seed003"
[base]
parallelism = "sync"
ranks = 2
compression = "randomk"
)";
  const std::string version_two_key = "9a4f0f76c921f82b";
  const nlohmann::json stored_config = matrix::resolve_config(
      {{"parallelism", "sync"}, {"ranks", 2}, {"compression", {{"method", "randomk"}, {"scaled", true}}}});
  test_support::TempDir dir;
  const std::string path = dir.file("seed003.db");
  {
    Store store(path);
    store.register_sweep("seed003", "seed003.toml", {{version_two_key, 0, stored_config}});
    Database db(path);
    db.exec("UPDATE runs SET status = 'done', finished_at = '2026-12-01T00:00:00Z', test_accuracy = 0.1");
    db.exec("UPDATE iddl_meta SET value = '2' WHERE name = 'run_key_version'");
  }
  Store store(path);  // opening re-keys it from its stored config: still a scaled run, still done
  const std::string scaled_key = matrix::run_key(stored_config);
  EXPECT_NE(scaled_key, version_two_key);
  EXPECT_EQ(rows(path, "SELECT run_key, status, test_accuracy FROM runs"), (Rows{{scaled_key, "done", "0.1"}}));
  EXPECT_EQ(nlohmann::json::parse(rows(path, "SELECT config FROM runs")[0][0]), stored_config);
  EXPECT_EQ(rows(path, "SELECT value FROM iddl_meta WHERE name = 'run_key_version'"), (Rows{{"3"}}));

  // The same sweep file now plans plain randomk unscaled: a new run, and the scaled one is kept, stale.
  const matrix::Sweep sweep = matrix::parse_sweep(sweep_text, "seed003.toml");
  ASSERT_EQ(sweep.runs.size(), 1u);
  EXPECT_EQ(sweep.runs[0].config["compression"]["scaled"], false);
  const std::string unscaled_key = sweep.runs[0].key;
  EXPECT_NE(unscaled_key, scaled_key);
  EXPECT_EQ(store.run_statuses("seed003"), (std::map<std::string, std::string>{{scaled_key, "done"}}));
  const int64_t sweep_id = store.register_sweep("seed003", "seed003.toml", {{unscaled_key, 0, sweep.runs[0].config}});
  EXPECT_EQ(store.mark_plan(sweep_id, {unscaled_key}), 1);
  EXPECT_EQ(store.run_statuses("seed003"),
            (std::map<std::string, std::string>{{scaled_key, "done"}, {unscaled_key, "pending"}}));
  EXPECT_EQ(rows(path, "SELECT run_key, in_plan FROM runs ORDER BY id"), (Rows{{scaled_key, "0"}, {unscaled_key, "1"}}));
}

}  // namespace
}  // namespace iddl::results
