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

// Counts the runs by the value of `setting` (an axis counted by its method).
std::multiset<std::string> values_of(const Sweep& sweep, const std::string& setting) {
  std::multiset<std::string> values;
  for (const auto& run : sweep.runs) {
    const auto& value = run.config[setting];
    values.insert(value.is_object() ? value["method"].get<std::string>() : value.dump());
  }
  return values;
}

TEST(matrix_shipped_sweeps, Cifar10PlansTheWholeMatrix) {
  const Sweep sweep = shipped("cifar10.toml");
  EXPECT_EQ(sweep.name, "cifar10");
  // 2 models x 3 sparsifications x (4 ways to use the ranks without early exit + 2 with it),
  // then 2 models x 3 compressors on sync
  ASSERT_EQ(sweep.runs.size(), 42u);
  EXPECT_EQ(keys_of(sweep).size(), 42u);
  EXPECT_EQ(values_of(sweep, "compression").count("none"), 36u);
  const auto& first = sweep.runs[0].config;
  EXPECT_EQ(first["model"], "resnet9");
  EXPECT_EQ(first["nesterov"], true);
  EXPECT_EQ(first["schedule"], "warmup_linear");
  EXPECT_EQ(first["data_dir"], "data/cifar-10-batches-bin");
  EXPECT_EQ(first["compression"], (nlohmann::json{{"method", "none"}}));
  EXPECT_DOUBLE_EQ(first["weight_decay"].get<double>(), 5e-4);
  EXPECT_EQ(values_of(sweep, "vertical").count("partition"), 6u);
  EXPECT_EQ(values_of(sweep, "vertical").count("ensemble"), 6u);
  EXPECT_EQ(values_of(sweep, "horizontal").count("early_exit"), 12u);
  for (const auto& run : sweep.runs)
    if (run.config["vertical"]["method"] != "none") {
      EXPECT_EQ(run.config["horizontal"]["method"], "none");
    }
}

TEST(matrix_shipped_sweeps, IddlPlansSeed000sSettingsAndResNetRows) {
  const Sweep sweep = shipped("iddl.toml");
  ASSERT_EQ(sweep.runs.size(), 21u);
  const auto models = values_of(sweep, "model");
  EXPECT_EQ(models.count("\"mlp\""), 15u);
  EXPECT_EQ(models.count("\"resnet18\""), 6u);
  EXPECT_EQ(values_of(sweep, "vertical").count("ensemble"), 6u);
  EXPECT_EQ(values_of(sweep, "horizontal").count("early_exit"), 3u);
  for (const auto& run : sweep.runs)
    EXPECT_EQ(run.config["ranks"], run.config["vertical"]["method"] == "none" ? 1 : 2);
}

TEST(matrix_shipped_sweeps, CompressionPlansEveryCompressorOnSync) {
  const Sweep sweep = shipped("compression.toml");
  ASSERT_EQ(sweep.runs.size(), 28u);
  const auto methods = values_of(sweep, "compression");
  for (const char* method :
       {"none", "topk", "randomk", "threshold", "adaptive_threshold", "terngrad", "qsgd", "fp16", "signsgd", "powersgd"})
    EXPECT_GE(methods.count(method), 1u) << method;
  std::set<std::string> error_feedback, granularity;
  for (const auto& run : sweep.runs) {
    EXPECT_EQ(run.config["parallelism"]["method"], "sync");
    EXPECT_EQ(run.config["ranks"], 2);
    if (run.config["compression"]["method"] == "none") continue;
    error_feedback.insert(run.config["compression"]["error_feedback"].dump());
    granularity.insert(run.config["compression"]["granularity"].get<std::string>());
  }
  EXPECT_EQ(error_feedback, (std::set<std::string>{"false", "true"}));
  EXPECT_EQ(granularity, (std::set<std::string>{"layerwise", "model"}));
  EXPECT_EQ(shipped("compression_cifar10.toml").runs.size(), 9u);
}

TEST(matrix_shipped_sweeps, StructureEndToEndPlansSixRuns) {
  const Sweep sweep = shipped("structure_e2e.toml");
  ASSERT_EQ(sweep.runs.size(), 6u);
  EXPECT_EQ(values_of(sweep, "vertical"),
            (std::multiset<std::string>{"none", "none", "none", "partition", "ensemble", "ensemble"}));
  EXPECT_EQ(values_of(sweep, "horizontal").count("early_exit"), 2u);
  // seed 000's early exit: conv branches trained detached, on LeNet's two conv stages
  const nlohmann::json& seed = sweep.runs.back().config;
  EXPECT_EQ(seed["model"], "lenet");
  EXPECT_EQ(seed["horizontal"]["branch"], "conv_linear");
  EXPECT_EQ(seed["horizontal"]["branch_training"], "detached");
  // the other early exit keeps the defaults, so its run key is the one it had before the two parameters
  EXPECT_EQ(sweep.runs[4].config["horizontal"]["branch"], "pool_linear");
  EXPECT_EQ(sweep.runs[4].config["horizontal"]["branch_training"], "joint");
}

TEST(matrix_shipped_sweeps, EarlyExitFashionPlansSeed000sBranchesAgainstTheDefault) {
  const Sweep sweep = shipped("early_exit_fashion.toml");
  ASSERT_EQ(sweep.runs.size(), 3u);
  std::multiset<std::string> branches, trainings;
  for (const auto& run : sweep.runs) {
    EXPECT_EQ(run.config["model"], "lenet");
    EXPECT_EQ(run.config["horizontal"]["exits"], nlohmann::json::array({1, 2}));
    branches.insert(run.config["horizontal"]["branch"].get<std::string>());
    trainings.insert(run.config["horizontal"]["branch_training"].get<std::string>());
  }
  EXPECT_EQ(branches, (std::multiset<std::string>{"pool_linear", "conv_linear", "conv_linear"}));
  EXPECT_EQ(trainings, (std::multiset<std::string>{"joint", "joint", "detached"}));
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

TEST(matrix_shipped_sweeps, PipelinePlansSeed004sComparison) {
  const Sweep sweep = shipped("pipeline.toml");
  // 2 datasets x (data parallel and pipeline on 2 ranks; data parallel and 4 and 8 chunks on 4 ranks;
  // sortquant at 16, 12, 8 and 4 bits)
  ASSERT_EQ(sweep.runs.size(), 18u);
  EXPECT_EQ(keys_of(sweep).size(), 18u);
  EXPECT_EQ(values_of(sweep, "parallelism").count("pipeline"), 14u);
  EXPECT_EQ(values_of(sweep, "dataset").count("\"synthetic-cifar\""), 9u);
  const auto& pipeline_2 = sweep.runs[1].config;
  EXPECT_EQ(pipeline_2["model"], "mobilenetv2");
  EXPECT_EQ(pipeline_2["ranks"], 2);
  EXPECT_EQ(pipeline_2["batch_size"], 64);
  EXPECT_EQ(pipeline_2["parallelism"]["chunks"], 4);
  const auto& sortquant_4 = sweep.runs[8].config;
  EXPECT_EQ(sortquant_4["parallelism"]["boundary_compression"], "sortquant");
  EXPECT_EQ(sortquant_4["parallelism"]["bits"], 4);
  EXPECT_EQ(sortquant_4["batch_size"], 256);
  EXPECT_EQ(sweep.runs[0].config["batch_size"], 64);  // data parallel: 64 in all, 32 a rank
  EXPECT_EQ(sweep.runs[0].config["batch_scope"], "global");
}

}  // namespace iddl::matrix
