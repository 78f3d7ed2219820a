// Merging databases: runs matched by sweep and key, the more trusted result kept, idempotent, the other
// database never changed, an older schema migrated in a copy.
#include "results/merge.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "matrix/run_key.hpp"
#include "results/artifacts.hpp"
#include "results/schema.hpp"
#include "results/store.hpp"
#include "tests/results/rows.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::results {
namespace {

namespace fs = std::filesystem;
using test_support::rows;
using test_support::Rows;

std::string bytes_of(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// Sets a stored run's outcome by hand: status, finish time, accuracy, one epoch and one named metric.
void finish(Store& store, const std::string& path, const std::string& sweep, const std::string& key,
            const std::string& status, const std::string& finished_at, double accuracy) {
  for (const auto& run : store.runs_of(store.register_sweep(sweep, "", {}))) {
    if (run.key != key) continue;
    store.record_epoch(run.id, {{"epoch", 1}, {"test_accuracy", accuracy}});
    store.record_finished(run.id, {{"test_accuracy", accuracy}, {"metrics", {{"m", accuracy}}}});
    Database db(path);
    db.exec("UPDATE runs SET status = '" + status + "', finished_at = '" + finished_at + "' WHERE id = " +
            std::to_string(run.id));
  }
}

const char* const kAll =
    "SELECT s.name, r.run_key, r.status, r.finished_at, r.test_accuracy, "
    "(SELECT group_concat(e.epoch || ':' || e.test_accuracy) FROM epochs e WHERE e.run_id = r.id), "
    "(SELECT group_concat(m.name || '=' || m.value) FROM run_metrics m WHERE m.run_id = r.id) "
    "FROM runs r JOIN sweeps s ON s.id = r.sweep_id ORDER BY s.name, r.run_key";

class MergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Store a(here);
    a.register_sweep("s", "s.toml", {{"k1", 0, {{"seed", 1}}}, {"k2", 0, {{"seed", 2}}}, {"k5", 0, {{"seed", 5}}}});
    finish(a, here, "s", "k1", "done", "2026-01-01T00:00:00Z", 0.5);
    finish(a, here, "s", "k2", "failed", "2026-01-01T00:00:00Z", 0.1);
    finish(a, here, "s", "k5", "done", "2026-01-09T00:00:00Z", 0.9);
    Store b(there);
    b.register_sweep("s", "s.toml",
                     {{"k1", 0, {{"seed", 1}}}, {"k2", 0, {{"seed", 2}}}, {"k3", 0, {{"seed", 3}}}, {"k5", 0, {{"seed", 5}}}});
    b.register_sweep("t", "t.toml", {{"k4", 0, {{"seed", 4}}}});
    finish(b, there, "s", "k1", "done", "2026-01-02T00:00:00Z", 0.6);
    finish(b, there, "s", "k2", "done", "2026-01-01T00:00:00Z", 0.7);
    finish(b, there, "s", "k3", "done", "2026-01-03T00:00:00Z", 0.8);
    finish(b, there, "s", "k5", "done", "2026-01-08T00:00:00Z", 0.2);
    finish(b, there, "t", "k4", "done", "2026-01-04T00:00:00Z", 0.4);
  }
  test_support::TempDir dir;
  std::string here = dir.file("here.db"), there = dir.file("there.db");
};

TEST_F(MergeTest, BringsNewRunsAndTakesOnlyMoreTrustedResults) {
  const std::string other_bytes = bytes_of(there);
  const MergeOutcome outcome = merge_database(here, there, std::nullopt);
  EXPECT_EQ(outcome.sweeps_added, 1);
  EXPECT_EQ(outcome.runs_added, 2);  // s/k3 and t/k4
  ASSERT_EQ(outcome.replaced.size(), 2u);  // k1: a later done result; k2: done over failed
  EXPECT_EQ(outcome.replaced[0].rfind("s/k1: ", 0), 0u) << outcome.replaced[0];
  EXPECT_EQ(outcome.replaced[1].rfind("s/k2: ", 0), 0u) << outcome.replaced[1];
  ASSERT_EQ(outcome.kept.size(), 1u);  // k5: both done, this database's is the later one
  EXPECT_EQ(outcome.kept[0].rfind("s/k5: ", 0), 0u) << outcome.kept[0];
  EXPECT_EQ(rows(here, kAll), (Rows{{"s", "k1", "done", "2026-01-02T00:00:00Z", "0.6", "1:0.6", "m=0.6"},
                                    {"s", "k2", "done", "2026-01-01T00:00:00Z", "0.7", "1:0.7", "m=0.7"},
                                    {"s", "k3", "done", "2026-01-03T00:00:00Z", "0.8", "1:0.8", "m=0.8"},
                                    {"s", "k5", "done", "2026-01-09T00:00:00Z", "0.9", "1:0.9", "m=0.9"},
                                    {"t", "k4", "done", "2026-01-04T00:00:00Z", "0.4", "1:0.4", "m=0.4"}}));
  EXPECT_EQ(bytes_of(there), other_bytes) << "the other database must not change";
  EXPECT_EQ(rows(here, "PRAGMA foreign_key_check"), Rows{});
}

TEST_F(MergeTest, MergingTwiceAddsNothing) {
  merge_database(here, there, std::nullopt);
  const Rows once = rows(here, kAll);
  const MergeOutcome again = merge_database(here, there, std::nullopt);
  EXPECT_EQ(again.sweeps_added, 0);
  EXPECT_EQ(again.runs_added, 0);
  EXPECT_TRUE(again.replaced.empty());
  EXPECT_EQ(again.runs_unchanged, 4);
  EXPECT_EQ(rows(here, kAll), once);
}

// Lists `path` as an artifact of `kind` of run `key` of sweep s in the database at db_path.
void list_artifact(const std::string& db_path, const std::string& key, const std::string& kind, const std::string& path) {
  Database db(db_path);
  configure_connection(db);
  const Rows id = rows(db_path, "SELECT r.id FROM runs r JOIN sweeps s ON s.id = r.sweep_id WHERE s.name = 's' AND "
                                "r.run_key = '" + key + "'");
  add_artifact(db, std::stoll(id.at(0).at(0)), kind, path);
}

// The artifacts rows travel with the runs whose result is taken, paths as they are; a replaced run keeps listing
// this database's files too (they are still on disk); a result not taken brings none; merging twice adds none.
TEST_F(MergeTest, ArtifactRowsComeWithTheRunsTakenPathsAsTheyAre) {
  list_artifact(here, "k2", kCheckpointsArtifact, "/here.db.checkpoints/s/k2");
  list_artifact(there, "k2", kModelArtifact, "/there.db.models/s/k2/rank0.pt");
  list_artifact(there, "k3", kModelArtifact, "/there.db.models/s/k3/rank0.pt");
  list_artifact(there, "k3", kModelArtifact, "/there.db.models/s/k3/rank1.pt");
  list_artifact(there, "k5", kModelArtifact, "/there.db.models/s/k5/rank0.pt");  // here's k5 is kept
  const char* const artifacts =
      "SELECT r.run_key, a.kind, a.path FROM artifacts a JOIN runs r ON r.id = a.run_id ORDER BY r.run_key, a.path";
  merge_database(here, there, std::nullopt);
  const Rows expected{{"k2", "checkpoints", "/here.db.checkpoints/s/k2"},
                      {"k2", "model", "/there.db.models/s/k2/rank0.pt"},
                      {"k3", "model", "/there.db.models/s/k3/rank0.pt"},
                      {"k3", "model", "/there.db.models/s/k3/rank1.pt"}};
  EXPECT_EQ(rows(here, artifacts), expected);
  merge_database(here, there, std::nullopt);
  EXPECT_EQ(rows(here, artifacts), expected);
  EXPECT_EQ(rows(here, "PRAGMA foreign_key_check"), Rows{});
}

TEST_F(MergeTest, OneSweepOnly) {
  const MergeOutcome outcome = merge_database(here, there, std::string("t"));
  EXPECT_EQ(outcome.sweeps_added, 1);
  EXPECT_EQ(outcome.runs_added, 1);
  EXPECT_TRUE(outcome.replaced.empty());
  EXPECT_EQ(rows(here, "SELECT count(*) FROM runs"), (Rows{{"4"}}));
  EXPECT_THROW(merge_database(here, there, std::string("nope")), std::runtime_error);
}

TEST_F(MergeTest, RefusesItselfAndMissingFiles) {
  EXPECT_THROW(merge_database(here, here, std::nullopt), std::runtime_error);
  EXPECT_THROW(merge_database(here, dir.file("missing.db"), std::nullopt), std::runtime_error);
}

TEST(results_merge, AnOlderSchemaIsMigratedInACopyAndReKeyed) {
  test_support::TempDir dir;
  const std::string fixture = dir.file("quickstart-v4.db");  // a copy: a reader leaves -wal and -shm files
  fs::copy_file(std::string(IDDL_SOURCE_DIR) + "/tests/fixtures/quickstart-v4.db", fixture);
  const std::string fixture_bytes = bytes_of(fixture);
  const std::string here = dir.file("new.db");
  const MergeOutcome outcome = merge_database(here, fixture, std::nullopt);
  EXPECT_EQ(outcome.runs_added, 4);
  EXPECT_EQ(bytes_of(fixture), fixture_bytes);
  for (const auto& row : rows(here, "SELECT run_key, config FROM runs"))
    EXPECT_EQ(row[0], matrix::run_key(nlohmann::json::parse(row[1])));
  EXPECT_EQ(rows(here, "SELECT count(*) FROM epochs"), rows(fixture, "SELECT count(*) FROM epochs"));
}

}  // namespace
}  // namespace iddl::results
