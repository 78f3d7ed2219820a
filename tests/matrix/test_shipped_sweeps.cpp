// The sweep files shipped in sweeps/ parse and plan the runs they promise.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
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
  // seed 003's recipe (cifar10-fast's): batch 512, 24 epochs, piecewise 0 -> 0.4 -> 0 over a summed loss
  EXPECT_EQ(first["batch_size"], 512);
  EXPECT_EQ(first["epochs"], 24);
  EXPECT_EQ(first["schedule"], "piecewise");
  EXPECT_EQ(first["lr_epochs"], nlohmann::json::array({0.0, 5.0, 24.0}));
  EXPECT_EQ(first["lr_values"], nlohmann::json::array({0.0, 0.4 / 512, 0.0}));
  EXPECT_EQ(first["loss_reduction"], "sum");
  EXPECT_DOUBLE_EQ(first["weight_decay"].get<double>(), 5e-4 * 512);
  EXPECT_EQ(first["augment"], (nlohmann::json{{"method", "crop_flip"}, {"pad", 4}, {"padding", "reflect"},
                                              {"flip", true}, {"cutout", 8}}));
  EXPECT_EQ(first["data_dir"], "data/cifar-10-batches-bin");
  EXPECT_EQ(first["compression"], (nlohmann::json{{"method", "none"}}));
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
  for (const auto& run : sweep.runs) {
    EXPECT_EQ(run.config["ranks"], run.config["vertical"]["method"] == "none" ? 1 : 2);
    const bool mlp = run.config["model"] == "mlp";
    // mlp/experiment.py (lr 0.01, momentum 0.5, batch 32, ToTensor) and resnet/main.py (lr 0.01, momentum 0.9,
    // weight decay 5e-4, batch 128, crop + flip, standardized)
    EXPECT_DOUBLE_EQ(run.config["lr"].get<double>(), 0.01);
    EXPECT_DOUBLE_EQ(run.config["momentum"].get<double>(), mlp ? 0.5 : 0.9);
    EXPECT_EQ(run.config["batch_size"], mlp ? 32 : 128);
    EXPECT_EQ(run.config["epochs"], mlp ? 10 : 30);
    EXPECT_EQ(run.config["normalize"], mlp ? "none" : "standard");
    EXPECT_EQ(run.config["augment"]["method"], mlp ? "none" : "crop_flip");
  }
  const Sweep cifar = shipped("iddl_cifar10.toml");
  ASSERT_EQ(cifar.runs.size(), 9u);
  EXPECT_EQ(values_of(cifar, "model").count("\"mlp\""), 3u);
  // seed 000's ResNets: 1x1 shortcuts dense, bibd_gc's design over all inputs (resnet_gc.py, bibd_layer.py)
  for (const Sweep* s : {&sweep, &cifar})
    for (const auto& run : s->runs) {
      const auto& sparsification = run.config["sparsification"];
      if (run.config["model"] != "resnet18" || sparsification["method"] == "none") continue;
      EXPECT_EQ(sparsification.value("shortcuts", "thinned"), "dense") << sparsification.dump();
      const bool bibd_gc = sparsification["method"] == "bibd" && sparsification.value("groups", 1) != 1;
      EXPECT_EQ(sparsification.value("design_over", "group"), bibd_gc ? "all_inputs" : "group")
          << sparsification.dump();
    }
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
  const Sweep cifar = shipped("compression_cifar10.toml");
  ASSERT_EQ(cifar.runs.size(), 9u);
  for (const auto& run : cifar.runs) {  // seed 003's 40 epochs for RandomK, with the ramp's last knot there
    const bool randomk = run.config["compression"]["method"] == "randomk";
    EXPECT_EQ(run.config["epochs"], randomk ? 40 : 24);
    EXPECT_EQ(run.config["lr_epochs"].back(), run.config["epochs"].get<double>());
  }
}

// Seed 000's ensembles: the end-to-end vertical ensemble on 2 ranks, AdaBoost of 9 MLPs (1 epoch each) on
// one rank with the seed's and the textbook update, all with the MLP recipe.
TEST(matrix_shipped_sweeps, IddlEnsemblesPlansSeed000sEnsembles) {
  const Sweep sweep = shipped("iddl_ensembles.toml");
  ASSERT_EQ(sweep.runs.size(), 3u);
  EXPECT_EQ(sweep.runs[0].config["vertical"],
            (nlohmann::json{{"method", "ensemble"}, {"combine", "linear"}, {"combiner_lr", 0.005},
                            {"training", "end_to_end"}}));
  EXPECT_EQ(sweep.runs[0].config["ranks"], 2);
  for (size_t i = 1; i < 3; ++i) {
    const auto& c = sweep.runs[i].config;
    EXPECT_EQ(c["vertical"]["method"], "adaboost");
    EXPECT_EQ(c["vertical"]["members"], 9);
    EXPECT_EQ(c["vertical"]["sample_weighting"], "repeat");
    EXPECT_EQ(c["ranks"], 1);
    EXPECT_EQ(c["epochs"], 9);
  }
  EXPECT_EQ(sweep.runs[1].config["vertical"]["update"], "seed");
  EXPECT_EQ(sweep.runs[2].config["vertical"]["update"], "samme");
  for (const auto& run : sweep.runs) {
    EXPECT_DOUBLE_EQ(run.config["lr"].get<double>(), 0.01);
    EXPECT_DOUBLE_EQ(run.config["momentum"].get<double>(), 0.5);
    EXPECT_EQ(run.config["batch_size"], 32);
    EXPECT_EQ(run.config["hidden"], nlohmann::json::array({112, 56}));
  }
}

// The CIFAR-10 sweeps' Fashion-MNIST siblings plan the same runs with the same recipe on data that is here.
TEST(matrix_shipped_sweeps, CifarSweepsHaveFashionSiblingsWithTheSameRecipe) {
  for (const std::string name : {"cifar10", "compression_cifar10"}) {
    const Sweep cifar = shipped(name + ".toml");
    const Sweep fashion = shipped(name + "_fmnist.toml");
    ASSERT_EQ(fashion.runs.size(), cifar.runs.size()) << name;
    for (size_t i = 0; i < cifar.runs.size(); ++i) {
      nlohmann::json expected = cifar.runs[i].config;
      expected["dataset"] = "fashion-mnist";
      expected["data_dir"] = "";
      EXPECT_EQ(fashion.runs[i].config, expected) << name << " run " << i;
    }
  }
}

TEST(matrix_shipped_sweeps, LayerwisePlansSeed003sStudyOnItsThreeNetworks) {
  const Sweep sweep = shipped("layerwise_cifar10.toml");
  // 3 networks x (none + 6 compressors x 2 granularities)
  ASSERT_EQ(sweep.runs.size(), 39u);
  EXPECT_EQ(keys_of(sweep).size(), 39u);
  const auto methods = values_of(sweep, "compression");
  for (const char* method : {"randomk", "topk", "threshold", "adaptive_threshold", "terngrad", "qsgd"})
    EXPECT_EQ(methods.count(method), 6u) << method;
  for (const auto& run : sweep.runs) {
    const auto& c = run.config["compression"];
    if (c["method"] == "topk") {
      EXPECT_EQ(c["ties"], "keep");
    }
    if (c["method"] == "randomk") {
      EXPECT_EQ(c["scaled"], false);
    }
    const bool long_run = c["method"] == "randomk" || c["method"] == "threshold";
    EXPECT_EQ(run.config["epochs"], long_run ? 40 : 24);
    EXPECT_EQ(run.config["batch_size"], 512);
  }
  const Sweep fashion = shipped("layerwise_fmnist.toml");
  ASSERT_EQ(fashion.runs.size(), 13u);
  EXPECT_EQ(fashion.runs[0].config["dataset"], "fashion-mnist");
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
  ASSERT_EQ(sweep.runs.size(), 17u);
  std::multiset<std::string> methods;
  for (const auto& run : sweep.runs) {
    methods.insert(run.config["parallelism"]["method"].get<std::string>());
    EXPECT_EQ(run.config["hidden"], nlohmann::json::array({256, 64}));
    if (run.config["parallelism"]["method"] == "downpour") {
      EXPECT_GE(run.config["ranks"].get<int>(), 2);
    }
  }
  for (const char* method : {"sync", "param_avg", "w_param_avg", "gossip", "downpour", "admm"})
    EXPECT_GE(methods.count(method), 1u) << method;
  for (const auto& run : sweep.runs) {  // seed 001's recipe (models/mlp.h, losses/mse.h)
    EXPECT_EQ(run.config["loss"], "mse");
    EXPECT_EQ(run.config["loss_reduction"], "sum");
    EXPECT_EQ(run.config["activation"], "leaky_relu");
    EXPECT_EQ(run.config["dropout_kind"], "gaussian");  // layers/dropout.h
    EXPECT_EQ(run.config["batch_scope"], run.config["parallelism"]["method"] == "sync" ? "global" : "rank");
  }
  const Sweep timing = shipped("parallel_timing.toml");
  // 3 rank counts x 4 batch sizes x (parallel SGD, parameter averaging), less averaging on one rank
  EXPECT_EQ(timing.runs.size(), 20u);
  for (const auto& run : timing.runs) EXPECT_EQ(run.config["dropout_kind"], "gaussian");
}

TEST(matrix_shipped_sweeps, PipelinePlansSeed004sComparison) {
  const Sweep sweep = shipped("pipeline.toml");
  // 2 datasets x (data parallel twice and a pipeline on 2 ranks; data parallel twice and 4 and 8 chunks on 4
  // ranks; sortquant at 16, 12, 8 and 4 bits (3:1) and at 8 bits 1:1; first-and-last on 2 ranks, plain and sortquant)
  ASSERT_EQ(sweep.runs.size(), 28u);
  EXPECT_EQ(keys_of(sweep).size(), 28u);
  EXPECT_EQ(values_of(sweep, "parallelism").count("pipeline"), 20u);
  EXPECT_EQ(values_of(sweep, "dataset").count("\"synthetic-cifar\""), 14u);
  const auto& pipeline_2 = sweep.runs[2].config;
  EXPECT_EQ(pipeline_2["model"], "mobilenetv2");
  EXPECT_EQ(pipeline_2["ranks"], 2);
  EXPECT_EQ(pipeline_2["batch_size"], 64);
  EXPECT_EQ(pipeline_2["parallelism"]["chunks"], 4);
  EXPECT_EQ(pipeline_2["schedule"], "cosine");  // CIFAR10_nGPU.py: get_scheduler("cosine", epochs / 10 warm-up)
  EXPECT_EQ(pipeline_2["warmup_epochs"], 4);
  EXPECT_EQ(pipeline_2["epochs"], 40);
  const auto& sortquant_4 = sweep.runs[10].config;
  EXPECT_EQ(sortquant_4["parallelism"]["boundary_compression"], "sortquant");
  EXPECT_EQ(sortquant_4["parallelism"]["bits"], 4);
  EXPECT_EQ(sortquant_4["batch_size"], 256);
  EXPECT_EQ(sweep.runs[11].config["parallelism"]["split_bits"], 4);  // 8 bits at 1:1
  EXPECT_EQ(sweep.runs[0].config["batch_size"], 64);  // data parallel: the table's 64 over both ranks
  EXPECT_EQ(sweep.runs[0].config["batch_scope"], "global");
  EXPECT_EQ(sweep.runs[1].config["batch_size"], 64);  // and the code's 64 on each GPU
  EXPECT_EQ(sweep.runs[1].config["batch_scope"], "rank");
  const auto& client_server = sweep.runs[12].config;  // pipeline_client/client_run.py's defaults
  EXPECT_EQ(client_server["parallelism"]["placement"], "first_and_last");
  EXPECT_EQ(client_server["parallelism"]["split"], nlohmann::json::array({1, 8}));
  EXPECT_EQ(client_server["parallelism"]["chunks"], 8);
  EXPECT_EQ(client_server["ranks"], 2);
  EXPECT_EQ(client_server["batch_size"], 64);
  EXPECT_EQ(client_server["lr"], 0.005);
  EXPECT_EQ(sweep.runs[13].config["parallelism"]["boundary_compression"], "sortquant");
  EXPECT_EQ(sweep.runs[2].config["parallelism"]["placement"], "contiguous");
}

namespace {

// The rows `| `sweeps/NAME.toml` | RUNS | ...` of the shipped-sweeps table of docs/sweep-files.md: file name -> runs.
std::map<std::string, size_t> documented_sweeps() {
  std::ifstream docs(std::string(IDDL_SOURCE_DIR) + "/docs/sweep-files.md");
  const std::regex row(R"(^\| `sweeps/([^`]+\.toml)` \| (\d+) \|)");
  std::map<std::string, size_t> rows;
  std::smatch match;
  for (std::string line; std::getline(docs, line);)
    if (std::regex_search(line, match, row)) rows[match[1]] = std::stoul(match[2]);
  return rows;
}

}  // namespace

// docs/sweep-files.md lists every file of sweeps/, each with the number of runs it plans.
TEST(matrix_shipped_sweeps, DocsListEveryShippedSweepWithItsRuns) {
  const auto documented = documented_sweeps();
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(IDDL_SOURCE_DIR) + "/sweeps"))
    if (entry.path().extension() == ".toml") files.insert(entry.path().filename().string());
  std::set<std::string> listed;
  for (const auto& [name, runs] : documented) listed.insert(name);
  EXPECT_EQ(listed, files) << "docs/sweep-files.md, the table of shipped sweeps, against sweeps/";
  for (const auto& [name, runs] : documented) {
    if (files.count(name) == 0) continue;
    EXPECT_EQ(shipped(name).runs.size(), runs) << "docs/sweep-files.md, row of sweeps/" << name;
  }
}

// The README's example sweep is sweeps/quickstart.toml as shipped (its header comment left out).
TEST(matrix_shipped_sweeps, ReadmeShowsTheShippedQuickstart) {
  std::ifstream readme(std::string(IDDL_SOURCE_DIR) + "/README.md");
  const std::string text((std::istreambuf_iterator<char>(readme)), std::istreambuf_iterator<char>());
  const std::string opening = "```toml\n[sweep]\nname = \"quickstart\"\n";
  const size_t start = text.find(opening);
  ASSERT_NE(start, std::string::npos) << "README.md: no ```toml block of the quickstart sweep";
  const size_t body = start + std::string("```toml\n").size();
  const std::string shown = text.substr(body, text.find("```", body) - body);
  std::ifstream file(std::string(IDDL_SOURCE_DIR) + "/sweeps/quickstart.toml");
  const std::string shipped_text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(shown, shipped_text.substr(shipped_text.find("[sweep]"))) << "README.md against sweeps/quickstart.toml";
}

}  // namespace iddl::matrix
