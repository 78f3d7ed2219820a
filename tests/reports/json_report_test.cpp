#include "reports/json_report.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "reports/metric_columns.hpp"
#include "results/schema.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

using nlohmann::json;

class reports_json : public ::testing::Test {
 protected:
  void SetUp() override { test_support::write_sample_db(path_); }

  json runs(const Selection& selection, std::optional<SortOrder> sort = std::nullopt) {
    results::Database db = results::open_for_reading(path_);
    return runs_json(db, selection, sort);
  }

  test_support::TempDir dir_;
  const std::string path_ = dir_.file("iddl.db");
};

std::vector<std::string> keys_of(const json& runs) {
  std::vector<std::string> keys;
  for (const json& run : runs) keys.push_back(run.at("run_key"));
  return keys;
}

TEST_F(reports_json, OneObjectPerRunOfEveryStatusInStoredOrder) {
  const json all = runs({});
  ASSERT_TRUE(all.is_array());
  EXPECT_EQ(keys_of(all), (std::vector<std::string>{"sync-1", "sync-2", "single-1", "fast-1", "later-1", "only-1"}));
  EXPECT_EQ(all[3].at("status"), "failed");
  EXPECT_EQ(all[3].at("error"), "loss | diverged\nat epoch 1");
  EXPECT_EQ(all[4].at("status"), "pending");
}

TEST_F(reports_json, ObjectsHoldAxesAsMethodsSettingsConfigAndEveryMetric) {
  const json run = runs({}).at(0);
  EXPECT_EQ(run.at("sweep"), "demo");
  EXPECT_EQ(run.at("run_key"), "sync-1");
  EXPECT_EQ(run.at("repeat"), 0);
  EXPECT_EQ(run.at("parallelism"), "sync");
  EXPECT_EQ(run.at("sparsification"), "none");
  EXPECT_EQ(run.at("model"), "mlp");
  EXPECT_EQ(run.at("ranks"), 2);
  EXPECT_EQ(run.at("seed"), 1);
  EXPECT_EQ(run.at("lr"), 0.05);
  EXPECT_EQ(run.at("config"), test_support::demo_config("sync", 2, 1));
  EXPECT_EQ(run.at("config").at("parallelism"), (json{{"method", "sync"}}));
  for (const Metric& metric : metrics()) EXPECT_TRUE(run.contains(metric.column)) << metric.column;
  EXPECT_EQ(run.at("test_accuracy"), 0.8);
  EXPECT_EQ(run.at("bytes_sent"), 1048576);
  EXPECT_TRUE(run.at("latency_ms").is_null());
  EXPECT_TRUE(run.at("iddl_commit").is_null());
  EXPECT_EQ(run.at("host"), "node-1");
  EXPECT_FALSE(run.contains("id"));
  EXPECT_FALSE(run.contains("sweep_id"));
}

TEST_F(reports_json, SettingsThatAreNoRunsColumnComeFromTheConfig) {
  test_support::TempDir dir;
  const std::string path = dir.file("extra.db");
  {
    results::Store store(path);
    json config = test_support::demo_config("sync", 2, 1);
    config["momentum"] = 0.9;
    store.register_sweep("s", "", {{"k", 0, config}});
  }
  results::Database db = results::open_for_reading(path);
  const json run = runs_json(db, {}, std::nullopt).at(0);
  EXPECT_EQ(run.at("momentum"), 0.9);
  EXPECT_EQ(run.at("parallelism"), "sync");  // the column (method), not the config's object
}

TEST_F(reports_json, SweepWhereAndSortSelectAndOrder) {
  EXPECT_EQ(keys_of(runs({std::string("other"), std::nullopt})), (std::vector<std::string>{"only-1"}));
  EXPECT_EQ(keys_of(runs({std::string("demo"), std::string("status = 'done'")}, SortOrder{"test_accuracy", true})),
            (std::vector<std::string>{"sync-2", "sync-1", "single-1"}));
  EXPECT_EQ(keys_of(runs({std::string("demo"), std::nullopt}, SortOrder{"test_accuracy", false})),
            (std::vector<std::string>{"single-1", "sync-1", "sync-2", "fast-1", "later-1"}));  // nulls last
  EXPECT_TRUE(runs({std::nullopt, std::string("ranks = 99")}).empty());
}

TEST_F(reports_json, BadSortKeyOrWhereIsAnError) {
  EXPECT_THROW(runs({}, SortOrder{"test_acc", false}), std::invalid_argument);
  EXPECT_THROW(runs({std::nullopt, std::string("nope = 1")}), std::invalid_argument);
  EXPECT_THROW(runs({std::string("missing"), std::nullopt}), std::runtime_error);
}

}  // namespace
}  // namespace iddl::reports
