// Tags and notes of stored runs (schema version 6) on a real SQLite file written by the store (runs found by key:
// run_keys_test.cpp): tagging and untagging, notes, and both going with a deleted run, even on a connection
// without foreign keys (the sqlite3 shell's default).
#include <gtest/gtest.h>

#include <stdexcept>

#include "results/run_keys.hpp"
#include "results/run_labels.hpp"
#include "results/schema.hpp"
#include "results/store.hpp"
#include "tests/results/rows.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::results {
namespace {

using test_support::rows;
using test_support::Rows;

class results_run_labels : public ::testing::Test {
 protected:
  void SetUp() override {
    Store store(path_);
    store.register_sweep("a", "", {{"k1", 0, {{"seed", 1}}}, {"k2", 1, {{"seed", 2}}}});
    store.register_sweep("b", "", {{"k1", 0, {{"seed", 1}}}, {"k3", 0, {{"seed", 3}}}});
  }
  test_support::TempDir dir_;
  std::string path_ = dir_.file("iddl.db");
};

TEST_F(results_run_labels, TagsAreKeptOnceAndRemoved) {
  Database db = open_for_labels(path_);
  const auto runs = ids_of(find_runs(db, {"k2", "k3"}, std::nullopt));
  EXPECT_EQ(add_tag(db, runs, "baseline"), 2);
  EXPECT_EQ(add_tag(db, {runs[0]}, "baseline"), 0);
  EXPECT_EQ(add_tag(db, {runs[0]}, "best lr"), 1);
  EXPECT_EQ(tags_of(db, runs[0]), (std::vector<std::string>{"baseline", "best lr"}));
  EXPECT_EQ(remove_tag(db, runs, "baseline"), 2);
  EXPECT_EQ(remove_tag(db, runs, "baseline"), 0);
  EXPECT_EQ(rows(path_, "SELECT r.run_key, t.tag FROM run_tags t JOIN runs r ON r.id = t.run_id"),
            (Rows{{"k2", "best lr"}}));
  EXPECT_THROW(add_tag(db, runs, ""), std::invalid_argument);
  EXPECT_THROW(add_tag(db, runs, " padded"), std::invalid_argument);
}

TEST_F(results_run_labels, ANoteIsSetReplacedAndRemoved) {
  Database db = open_for_labels(path_);
  const int64_t run = find_runs(db, {"k2"}, std::nullopt).front().id;
  EXPECT_EQ(note_of(db, run), "");
  set_note(db, run, "diverged at lr 0.5");
  set_note(db, run, "fine after warmup");
  EXPECT_EQ(note_of(db, run), "fine after warmup");
  EXPECT_EQ(rows(path_, "SELECT count(*), noted_at LIKE '____-__-__T__:__:__Z' FROM run_notes"), (Rows{{"1", "1"}}));
  set_note(db, run, "");
  EXPECT_EQ(rows(path_, "SELECT count(*) FROM run_notes"), (Rows{{"0"}}));
}

TEST_F(results_run_labels, TagsAndNotesGoWithTheirRunEvenWithoutForeignKeys) {
  {
    Database db = open_for_labels(path_);
    const auto runs = ids_of(find_runs(db, {"k2", "k3"}, std::nullopt));
    add_tag(db, runs, "x");
    set_note(db, runs[0], "n");
    set_note(db, runs[1], "m");
  }
  {
    Database plain(path_);  // as the sqlite3 shell: foreign keys off
    plain.exec("PRAGMA foreign_keys = OFF; DELETE FROM runs WHERE run_key = 'k2'");
  }
  {
    Database db(path_);
    configure_connection(db);  // foreign keys on: the cascade
    db.exec("DELETE FROM runs WHERE run_key = 'k3'");
  }
  EXPECT_EQ(rows(path_, "SELECT count(*) FROM run_tags"), (Rows{{"0"}}));
  EXPECT_EQ(rows(path_, "SELECT count(*) FROM run_notes"), (Rows{{"0"}}));
}

TEST_F(results_run_labels, OpeningForLabelsNeverCreatesADatabase) {
  EXPECT_THROW(open_for_labels(dir_.file("missing.db")), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("missing.db")));
}

}  // namespace
}  // namespace iddl::results
