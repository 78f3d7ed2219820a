// Run keys and sweep names a user typed turned into stored runs (results/run_keys.hpp), the one lookup behind
// iddl-sweep tag, untag, note and rm and iddl-report show: keys' order, each run once, and one message for a key
// no run has, a key of several sweeps and a sweep the database does not hold.
#include "results/run_keys.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>

#include "results/schema.hpp"
#include "results/store.hpp"
#include "tests/results/rows.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::results {
namespace {

using test_support::rows;
using test_support::Rows;

class results_run_keys : public ::testing::Test {
 protected:
  void SetUp() override {
    Store store(path_);
    store.register_sweep("a", "", {{"k1", 0, {{"seed", 1}}}, {"k2", 1, {{"seed", 2}}}});
    const int64_t b = store.register_sweep("b", "", {{"k1", 0, {{"seed", 1}}}, {"k3", 0, {{"seed", 3}}}});
    const int64_t k3 = store.runs_of(b).at(1).id;
    store.mark_running(k3);
    store.record_epoch(k3, {{"epoch", 1}, {"train_loss", 0.5}});
    store.record_finished(k3, {{"test_accuracy", 0.5}, {"metrics", {{"m", 1.0}}}});
  }
  Database open() {
    Database db(path_);
    configure_connection(db);
    return db;
  }
  // The message of the std::invalid_argument `action` throws, "" when it throws none.
  static std::string message_of(const std::function<void()>& action) {
    try {
      action();
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "";
  }
  test_support::TempDir dir_;
  std::string path_ = dir_.file("iddl.db");
};

TEST_F(results_run_keys, FindsRunsInTheKeysOrderEachOnce) {
  Database db = open();
  const auto runs = find_runs(db, {"k3", "k2", "k3"}, std::nullopt);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].key, "k3");
  EXPECT_EQ(runs[0].sweep, "b");
  EXPECT_EQ(runs[0].status, "done");
  EXPECT_EQ(runs[0].epochs, 1);
  EXPECT_EQ(runs[0].metrics, 1);
  EXPECT_EQ(runs[1].key, "k2");
  EXPECT_EQ(runs[1].status, "pending");
  EXPECT_EQ(rows(path_, "SELECT run_key FROM runs WHERE id = " + std::to_string(ids_of(runs)[0])), (Rows{{"k3"}}));
  const auto in_a = find_runs(db, {"k1"}, std::string("a"));
  ASSERT_EQ(in_a.size(), 1u);
  EXPECT_EQ(in_a[0].sweep, "a");
  EXPECT_EQ(ids_of(find_runs(db, {"k1"}, std::string("b"))), (std::vector<int64_t>{in_a[0].id + 2}));
}

TEST_F(results_run_keys, NamesAnUnknownKeyAnAmbiguousKeyAndAnUnknownSweep) {
  Database db = open();
  EXPECT_EQ(message_of([&] { find_runs(db, {"k2", "nope"}, std::nullopt); }),
            path_ + ": no run with run key 'nope' (iddl-sweep plan FILE lists the run keys)");
  EXPECT_EQ(message_of([&] { find_runs(db, {"k2"}, std::string("b")); }),
            path_ + ": no run with run key 'k2' in sweep 'b' (iddl-sweep plan FILE lists the run keys)");
  EXPECT_EQ(message_of([&] { find_runs(db, {"k1"}, std::nullopt); }),
            path_ + ": run key 'k1' is in several sweeps (a, b): give --sweep NAME");
  EXPECT_EQ(message_of([&] { find_runs(db, {"k1"}, std::string("c")); }), path_ + ": no sweep named 'c'");
  EXPECT_EQ(message_of([&] { runs_of_sweep(db, "c"); }), path_ + ": no sweep named 'c'");
}

TEST_F(results_run_keys, TheRunsOfASweepInStoredOrder) {
  Database db = open();
  const auto runs = runs_of_sweep(db, "b");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].key, "k1");
  EXPECT_EQ(runs[1].key, "k3");
  EXPECT_LT(runs[0].id, runs[1].id);
}

}  // namespace
}  // namespace iddl::results
