// The sweep files shipped in sweeps/ parse and plan the runs they promise.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "matrix/sweep_file.hpp"

namespace iddl::matrix {
namespace {

Sweep shipped(const std::string& name) { return load_sweep(std::string(IDDL_SOURCE_DIR) + "/sweeps/" + name); }

std::set<std::string> keys_of(const Sweep& sweep) {
  std::set<std::string> keys;
  for (const auto& run : sweep.runs) keys.insert(run.key);
  return keys;
}

TEST(matrix_shipped_sweeps, QuickstartPlansFourRuns) {
  const Sweep sweep = shipped("quickstart.toml");
  EXPECT_EQ(sweep.name, "quickstart");
  EXPECT_EQ(sweep.varying, (std::vector<std::string>{"model", "parallelism", "ranks"}));
  ASSERT_EQ(sweep.runs.size(), 4u);
  EXPECT_EQ(keys_of(sweep).size(), 4u);
  const auto& last = sweep.runs[3].config;
  EXPECT_EQ(last["model"], "lenet");
  EXPECT_EQ(last["parallelism"], (nlohmann::json{{"method", "sync"}}));
  EXPECT_EQ(last["ranks"], 2);
  EXPECT_EQ(last["dataset"], "fashion-mnist");
  EXPECT_EQ(last["hidden"], nlohmann::json::array({112, 56}));
  EXPECT_EQ(sweep.runs[0].config["ranks"], 1);
  EXPECT_EQ(sweep.runs[1].config["model"], "mlp");
  EXPECT_EQ(sweep.runs[1].config["ranks"], 2);
}

TEST(matrix_shipped_sweeps, Cifar10PlansFourRunsNamingEveryAxis) {
  const Sweep sweep = shipped("cifar10.toml");
  EXPECT_EQ(sweep.name, "cifar10");
  EXPECT_EQ(sweep.varying, (std::vector<std::string>{"model", "parallelism", "ranks"}));
  ASSERT_EQ(sweep.runs.size(), 4u);
  EXPECT_EQ(keys_of(sweep).size(), 4u);
  const auto& first = sweep.runs[0].config;
  EXPECT_EQ(first["model"], "resnet9");
  EXPECT_EQ(first["nesterov"], true);
  EXPECT_EQ(first["schedule"], "warmup_linear");
  EXPECT_EQ(first["data_dir"], "data/cifar-10-batches-bin");
  EXPECT_EQ(first["compression"], (nlohmann::json{{"method", "none"}}));
  EXPECT_DOUBLE_EQ(first["weight_decay"].get<double>(), 5e-4);
}

TEST(matrix_shipped_sweeps, SyntheticEndToEndPlansTwoRuns) {
  const Sweep sweep = shipped("synthetic_e2e.toml");
  EXPECT_EQ(sweep.name, "synthetic_e2e");
  ASSERT_EQ(sweep.runs.size(), 2u);
  EXPECT_EQ(sweep.varying, (std::vector<std::string>{"parallelism", "ranks"}));
  EXPECT_EQ(sweep.runs[0].config["parallelism"], (nlohmann::json{{"method", "single"}}));
  EXPECT_EQ(sweep.runs[0].config["ranks"], 1);
  EXPECT_EQ(sweep.runs[1].config["ranks"], 2);
  EXPECT_EQ(sweep.runs[1].config["train_samples"], 2048);
  EXPECT_EQ(sweep.runs[1].config["hidden"], nlohmann::json::array({64}));
}

}  // namespace
TEST(matrix_shipped_sweeps, ParallelPlansSeed001sStrategiesOnOneToThreeRanks) {
  const Sweep sweep = shipped("parallel.toml");
  ASSERT_EQ(sweep.runs.size(), 14u);
  std::multiset<std::string> methods;
  for (const auto& run : sweep.runs) {
    methods.insert(run.config["parallelism"]["method"].get<std::string>());
    EXPECT_EQ(run.config["hidden"], nlohmann::json::array({256, 64}));
    if (run.config["parallelism"]["method"] == "downpour") {
      EXPECT_GE(run.config["ranks"].get<int>(), 2);
    }
  }
  for (const char* method : {"sync", "param_avg", "w_param_avg", "gossip", "downpour"})
    EXPECT_GE(methods.count(method), 1u) << method;
}

}  // namespace iddl::matrix
