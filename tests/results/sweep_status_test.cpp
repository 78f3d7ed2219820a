#include "results/sweep_status.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <stdexcept>

#include "results/schema.hpp"
#include "results/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::results {
namespace {

using nlohmann::json;

std::vector<PlannedRunRow> planned(int count) {
  std::vector<PlannedRunRow> rows;
  for (int i = 0; i < count; ++i) rows.push_back({"key-" + std::to_string(i), i, {{"seed", i}}});
  return rows;
}

TEST(results_sweep_status, SummariesCountEveryStatusInCreationOrder) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  {
    Store store(path);
    const int64_t first = store.register_sweep("first", "sweeps/first.toml", planned(5));
    store.register_sweep("empty", "", {});
    const std::vector<RunRow> runs = store.runs_of(first);
    store.mark_running(runs[0].id);
    store.record_finished(runs[0].id, {{"test_accuracy", 0.5}});
    store.mark_running(runs[1].id);
    store.record_finished(runs[1].id, {});
    store.mark_running(runs[2].id);
    store.record_failure(runs[2].id, RunStatus::Timeout, std::nullopt, "too slow", "");
    store.mark_running(runs[3].id);
  }
  Database db = open_for_reading(path);
  const std::vector<SweepSummary> summaries = summarize_sweeps(db);
  ASSERT_EQ(summaries.size(), 2u);
  const SweepSummary& first = summaries[0];
  EXPECT_EQ(first.name, "first");
  EXPECT_EQ(first.file, "sweeps/first.toml");
  EXPECT_EQ(first.total, 5);
  EXPECT_EQ(first.counts, (std::map<std::string, int>{{"pending", 1}, {"running", 1}, {"done", 2}, {"failed", 0},
                                                      {"timeout", 1}, {"interrupted", 0}}));
  EXPECT_TRUE(std::regex_match(first.created_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_GE(first.last_activity, first.created_at);

  const SweepSummary& empty = summaries[1];
  EXPECT_EQ(empty.name, "empty");
  EXPECT_EQ(empty.file, "");
  EXPECT_EQ(empty.total, 0);
  EXPECT_EQ(empty.counts.at("pending"), 0);
  EXPECT_EQ(empty.counts.size(), 6u);
  EXPECT_EQ(empty.last_activity, empty.created_at);
}

TEST(results_sweep_status, LastActivityIsTheLatestStartOrEnd) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store(path).register_sweep("s", "", planned(3));
  {
    Database db(path);
    db.exec("UPDATE sweeps SET created_at = '2024-01-01T00:00:00Z'");
    db.exec("UPDATE runs SET started_at = '2024-01-02T00:00:00Z', finished_at = '2024-01-05T00:00:00Z' "
            "WHERE run_key = 'key-0'");
    db.exec("UPDATE runs SET started_at = '2024-01-03T00:00:00Z' WHERE run_key = 'key-1'");
  }
  Database db = open_for_reading(path);
  EXPECT_EQ(summarize_sweeps(db).at(0).last_activity, "2024-01-05T00:00:00Z");
}

TEST(results_sweep_status, ReadRunStatusesOfAMissingFileIsEmptyAndCreatesNothing) {
  test_support::TempDir dir;
  const std::string path = dir.file("absent.db");
  EXPECT_TRUE(read_run_statuses(path, "s").empty());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(results_sweep_status, ReadRunStatusesOfAnExistingDatabase) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  {
    Store store(path);
    const std::vector<RunRow> runs = store.runs_of(store.register_sweep("s", "", planned(2)));
    store.mark_running(runs[1].id);
    store.record_failure(runs[1].id, RunStatus::Failed, 1, "boom", "");
  }
  EXPECT_EQ(read_run_statuses(path, "s"),
            (std::map<std::string, std::string>{{"key-0", "pending"}, {"key-1", "failed"}}));
  EXPECT_TRUE(read_run_statuses(path, "unknown").empty());
}

TEST(results_sweep_status, ReadRunStatusesRefusesAFileThatIsNotAResultsDatabase) {
  test_support::TempDir dir;
  const std::string path = dir.file("other.db");
  Database(path).exec("CREATE TABLE t (x)");
  EXPECT_THROW(read_run_statuses(path, "s"), std::runtime_error);
}

}  // namespace
}  // namespace iddl::results
