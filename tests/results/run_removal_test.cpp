// Deleting runs: remove_runs with the runs' epochs and metrics in one transaction (runs found by results/run_keys.hpp), and
// the schema's triggers that keep a plain DELETE (foreign keys off) from leaving orphan rows.
#include "results/run_removal.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "results/artifacts.hpp"
#include "results/schema.hpp"
#include "results/store.hpp"
#include "tests/results/rows.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::results {
namespace {

using test_support::Rows;
using test_support::rows;

// Sweeps "a" (runs k1, k2, shared) and "b" (run shared), each run with two epochs and a named metric.
std::string two_sweeps(const test_support::TempDir& dir) {
  const std::string path = dir.file("r.db");
  Store store(path);
  for (const auto& [sweep, keys] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"a", {"k1", "k2", "shared"}}, {"b", {"shared"}}}) {
    std::vector<PlannedRunRow> planned;
    for (const auto& key : keys) planned.push_back({key, 0, {{"seed", 1}}});
    for (const auto& run : store.runs_of(store.register_sweep(sweep, sweep + ".toml", planned))) {
      store.mark_running(run.id);
      for (int epoch = 1; epoch <= 2; ++epoch) store.record_epoch(run.id, {{"epoch", epoch}, {"train_loss", 0.5}});
      store.record_finished(run.id, {{"test_accuracy", 0.5}, {"metrics", {{"m", 1.0}}}});
    }
  }
  return path;
}

Database writer(const std::string& path) {
  Database db(path);
  configure_connection(db);
  return db;
}

TEST(RunRemoval, ASweepGoesWithItsRunsEpochsAndMetrics) {
  test_support::TempDir dir;
  const std::string path = two_sweeps(dir);
  Database db = writer(path);
  const auto runs = runs_of_sweep(db, "a");
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].epochs, 2);
  EXPECT_EQ(runs[0].metrics, 1);
  const Removal removal = remove_runs(db, runs, {"a"});
  EXPECT_EQ(removal.runs, 3);
  EXPECT_EQ(removal.epochs, 6);
  EXPECT_EQ(removal.metrics, 3);
  EXPECT_EQ(removal.sweeps, std::vector<std::string>{"a"});
  EXPECT_EQ(rows(path, "SELECT name FROM sweeps"), (Rows{{"b"}}));
  EXPECT_EQ(rows(path, "SELECT count(*) FROM epochs"), (Rows{{"2"}}));
  EXPECT_EQ(rows(path, "SELECT count(*) FROM run_metrics"), (Rows{{"1"}}));
  EXPECT_THROW(runs_of_sweep(db, "a"), std::invalid_argument);
}

TEST(RunRemoval, ARunsArtifactFilesGoWithItAndOtherRunsKeepTheirs) {
  test_support::TempDir dir;
  const std::string path = two_sweeps(dir);
  Database db = writer(path);
  const auto runs = runs_of_sweep(db, "a");
  const std::string folder = dir.file("k1.checkpoints"), model = dir.file("k1.pt"), kept = dir.file("k2.pt");
  std::filesystem::create_directories(folder + "/epoch1");
  std::ofstream(folder + "/epoch1/rank0.pt") << "x";
  std::ofstream(model) << "x";
  std::ofstream(kept) << "x";
  add_artifact(db, runs[0].id, kCheckpointsArtifact, folder);
  add_artifact(db, runs[0].id, kModelArtifact, model);
  add_artifact(db, runs[1].id, kModelArtifact, kept);
  const Removal removal = remove_runs(db, {runs[0]}, {});
  EXPECT_EQ(removal.runs, 1);
  EXPECT_EQ(removal.files, (std::vector<std::string>{folder, model}));
  EXPECT_FALSE(std::filesystem::exists(folder));
  EXPECT_FALSE(std::filesystem::exists(model));
  EXPECT_TRUE(std::filesystem::exists(kept));
  EXPECT_EQ(rows(path, "SELECT count(*) FROM artifacts"), (Rows{{"1"}}));
}

// Folders the removed files leave empty go: a model's run folder, the sweep's folder, and the roots next to the database;
// a sweep folder holding another run's files stays, and so does a root the user chose (--checkpoint-dir).
TEST(RunRemoval, TheFoldersItsFilesLeaveEmptyGoWithARun) {
  test_support::TempDir dir;
  const std::string path = two_sweeps(dir);
  Database db = writer(path);
  const auto a = runs_of_sweep(db, "a");
  const auto b = runs_of_sweep(db, "b");
  const std::string checkpoints = path + ".checkpoints", models = path + ".models", chosen = dir.file("chosen");
  const auto file_in = [](const std::string& folder, const std::string& name) {
    std::filesystem::create_directories(folder);
    std::ofstream(folder + "/" + name) << "x";
    return folder + "/" + name;
  };
  file_in(checkpoints + "/a/k1/epoch1", "rank0.pt");
  file_in(checkpoints + "/a/k2/epoch1", "rank0.pt");
  const std::string k1_model = file_in(models + "/a/k1", "rank0.pt");
  file_in(chosen + "/b/shared/epoch1", "rank0.pt");
  add_artifact(db, a[0].id, kCheckpointsArtifact, checkpoints + "/a/k1");
  add_artifact(db, a[0].id, kModelArtifact, k1_model);
  add_artifact(db, a[1].id, kCheckpointsArtifact, checkpoints + "/a/k2");
  add_artifact(db, b[0].id, kCheckpointsArtifact, chosen + "/b/shared");

  remove_runs(db, {a[0]}, {});
  EXPECT_FALSE(std::filesystem::exists(models)) << "the model's run folder, sweep folder and root were left empty";
  EXPECT_TRUE(std::filesystem::exists(checkpoints + "/a/k2/epoch1/rank0.pt"));
  EXPECT_FALSE(std::filesystem::exists(checkpoints + "/a/k1"));
  remove_runs(db, {a[1]}, {});
  EXPECT_FALSE(std::filesystem::exists(checkpoints)) << "the sweep folder and the root were left empty";
  remove_runs(db, b, {});
  EXPECT_FALSE(std::filesystem::exists(chosen + "/b"));
  EXPECT_TRUE(std::filesystem::is_directory(chosen)) << "a root the user chose stays";
}

TEST(RunRemoval, RunsByKeyGoAndTheirSweepStays) {
  test_support::TempDir dir;
  const std::string path = two_sweeps(dir);
  Database db = writer(path);
  EXPECT_THROW(find_runs(db, {"shared"}, std::nullopt), std::invalid_argument);  // messages: run_keys_test.cpp
  const auto runs = find_runs(db, {"shared", "k1"}, std::string("a"));
  ASSERT_EQ(runs.size(), 2u);
  const Removal removal = remove_runs(db, runs, {});
  EXPECT_EQ(removal.runs, 2);
  EXPECT_TRUE(removal.sweeps.empty());
  EXPECT_EQ(rows(path, "SELECT s.name, r.run_key FROM runs r JOIN sweeps s ON s.id = r.sweep_id ORDER BY r.id"),
            (Rows{{"a", "k2"}, {"b", "shared"}}));
  EXPECT_EQ(rows(path, "SELECT count(*) FROM epochs"), (Rows{{"4"}}));
}

// The sqlite3 shell's default: no PRAGMA foreign_keys. The triggers delete the dependent rows all the same.
TEST(RunRemoval, APlainDeleteWithoutForeignKeysLeavesNoOrphans) {
  test_support::TempDir dir;
  const std::string path = two_sweeps(dir);
  Database db(path);
  db.exec("PRAGMA foreign_keys = OFF");
  db.exec("DELETE FROM runs WHERE run_key = 'k1'");
  EXPECT_EQ(rows(path, "SELECT count(*) FROM epochs WHERE run_id NOT IN (SELECT id FROM runs)"), (Rows{{"0"}}));
  EXPECT_EQ(rows(path, "SELECT count(*) FROM epochs"), (Rows{{"6"}}));
  db.exec("DELETE FROM sweeps WHERE name = 'a'");
  EXPECT_EQ(rows(path, "SELECT count(*) FROM runs"), (Rows{{"1"}}));
  EXPECT_EQ(rows(path, "SELECT count(*) FROM epochs"), (Rows{{"2"}}));
  EXPECT_EQ(rows(path, "SELECT count(*) FROM run_metrics"), (Rows{{"1"}}));
}

// With foreign keys on (every IDDL connection), deleting a sweep that has runs is allowed: the trigger deletes them
// within the same statement.
TEST(RunRemoval, ADeletedSweepTakesItsRunsWithForeignKeysOn) {
  test_support::TempDir dir;
  const std::string path = two_sweeps(dir);
  Database db = writer(path);
  db.exec("DELETE FROM sweeps WHERE name = 'b'");
  EXPECT_EQ(rows(path, "SELECT count(*) FROM runs"), (Rows{{"3"}}));
  EXPECT_EQ(rows(path, "SELECT count(*) FROM epochs"), (Rows{{"6"}}));
}

}  // namespace
}  // namespace iddl::results
