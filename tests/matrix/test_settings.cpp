// The settings registry, value checks, config resolution, name suggestions and run keys.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "matrix/closest_name.hpp"
#include "matrix/config.hpp"
#include "matrix/run_key.hpp"
#include "matrix/setting_values.hpp"
#include "matrix/settings.hpp"
#include "tests/matrix/sweep_text.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

TEST(matrix_settings, RegistryHasEveryNamedSettingInCanonicalOrder) {
  const std::vector<std::string> expected{
      "dataset",  "data_dir",       "normalize",     "train_samples", "test_samples",  "model",    "hidden",      "activation",
      "leaky_slope", "dropout",     "dropout_kind", "epochs",
      "batch_size", "batch_scope",  "augment",
      "lr",           "momentum",      "nesterov",      "weight_decay", "schedule", "lr_step_epochs",
      "lr_gamma", "warmup_epochs",  "lr_epochs",     "lr_values",     "loss",     "loss_reduction", "label_smoothing",
      "seed",     "ranks",          "threads",       "device",
      "precision", "channels_last", "cudnn_benchmark", "device_data_mb",
      "checkpoint_every", "checkpoint_interval_s", "save_model",
      "sparsification",
      "vertical", "horizontal",     "compression",   "parallelism"};
  EXPECT_EQ(setting_names(), expected);
}

TEST(matrix_settings, AxisNamesAreTheFiveIddlAxes) {
  EXPECT_EQ(axis_names(),
            (std::vector<std::string>{"sparsification", "vertical", "horizontal", "compression", "parallelism"}));
}

TEST(matrix_settings, EveryDefaultIsAValidValue) {
  for (const auto& s : settings()) EXPECT_EQ(check_value(s, s.default_value), "") << s.name;
}

TEST(matrix_settings, FindSettingReturnsNullForUnknownNames) {
  ASSERT_NE(find_setting("lr"), nullptr);
  EXPECT_EQ(find_setting("lr")->kind, Kind::Float);
  EXPECT_EQ(find_setting("lrr"), nullptr);
}

TEST(matrix_resolve_config, FillsEveryDefault) {
  const json resolved = resolve_config(json::object());
  EXPECT_EQ(resolved.size(), settings().size());
  EXPECT_EQ(resolved["dataset"], "fashion-mnist");
  EXPECT_EQ(resolved["epochs"], 2);
  EXPECT_DOUBLE_EQ(resolved["lr"].get<double>(), 0.05);
  EXPECT_EQ(resolved["hidden"], json::array({112, 56}));
  EXPECT_EQ(resolved["parallelism"], (json{{"method", "single"}}));
  EXPECT_EQ(resolved["sparsification"], (json{{"method", "none"}}));
  EXPECT_EQ(resolved["ranks"], 1);
  EXPECT_TRUE(resolved["weight_decay"].is_number_float());
}

TEST(matrix_resolve_config, KeepsGivenValuesAndIsIdempotent) {
  const json resolved = resolve_config({{"model", "lenet"}, {"epochs", 7}, {"hidden", json::array()}});
  EXPECT_EQ(resolved["model"], "lenet");
  EXPECT_EQ(resolved["epochs"], 7);
  EXPECT_EQ(resolved["hidden"], json::array());
  EXPECT_EQ(resolve_config(resolved), resolved);
}

TEST(matrix_resolve_config, StoresIntegersGivenForFloatsAsFloats) {
  const json resolved = resolve_config({{"lr", 1}});
  EXPECT_TRUE(resolved["lr"].is_number_float());
  EXPECT_EQ(resolved, resolve_config({{"lr", 1.0}}));
}

TEST(matrix_resolve_config, RejectsFloatsForIntegers) {
  EXPECT_EQ(resolve_error({{"epochs", 2.0}}), "epochs = 2.0 is not an integer (write 2)");
  EXPECT_EQ(resolve_error({{"epochs", 2.5}}), "epochs = 2.5 is not an integer");
}

TEST(matrix_resolve_config, RejectsUnknownSettingsWithASuggestion) {
  EXPECT_EQ(resolve_error({{"lrr", 0.1}}), "unknown setting 'lrr' (did you mean 'lr'?)");
  const std::string far = resolve_error({{"zzzzzz", 1}});
  EXPECT_NE(far.find("unknown setting 'zzzzzz' (known settings: dataset, data_dir"), std::string::npos) << far;
}

TEST(matrix_resolve_config, RejectsValuesNotAmongTheChoices) {
  EXPECT_EQ(resolve_error({{"model", "resnt9"}}),
            "model = \"resnt9\" is not one of mlp, lenet, resnet9, resnet18, mobilenetv2, alexnet, vgg16 (did you mean \"resnet9\"?)");
}

TEST(matrix_resolve_config, RejectsValuesOfTheWrongType) {
  EXPECT_EQ(resolve_error({{"model", 3}}), "model = 3 is not a string");
  EXPECT_EQ(resolve_error({{"lr", "fast"}}), "lr = \"fast\" is not a number");
  EXPECT_EQ(resolve_error({{"nesterov", "yes"}}), "nesterov = \"yes\" is not true or false");
  EXPECT_EQ(resolve_error({{"hidden", 64}}), "hidden = 64 is not a list of integers");
  EXPECT_EQ(resolve_error({{"hidden", {64, "a"}}}), "hidden = [64, \"a\"] is not a list of integers");
  EXPECT_EQ(resolve_error(json::array()), "a config must be an object of settings, got []");
}

TEST(matrix_resolve_config, ChecksInclusiveAndExclusiveBounds) {
  EXPECT_EQ(resolve_error({{"epochs", 0}}), "epochs = 0 is out of range: must be >= 1");
  EXPECT_EQ(resolve_error({{"lr", 0}}), "lr = 0 is out of range: must be > 0");
  EXPECT_EQ(resolve_error({{"momentum", 1.0}}), "momentum = 1.0 is out of range: must be >= 0 and < 1");
  EXPECT_EQ(resolve_error({{"momentum", 0.0}}), "");
  EXPECT_EQ(resolve_error({{"lr_gamma", 1.0}}), "");
  EXPECT_EQ(resolve_error({{"lr_gamma", 0.0}}), "lr_gamma = 0.0 is out of range: must be > 0 and <= 1");
  EXPECT_EQ(resolve_error({{"hidden", {64, 0}}}),
            "hidden = [64, 0] is out of range: every element must be >= 1, got 0");
  EXPECT_EQ(resolve_error({{"train_samples", -1}}), "train_samples = -1 is out of range: must be >= 0");
}

TEST(matrix_resolve_config, RejectsNonFiniteFloats) {
  EXPECT_EQ(resolve_error({{"lr", std::numeric_limits<double>::infinity()}}), "lr = inf is not a finite number");
}

TEST(matrix_resolve_config, SingleParallelismNeedsOneRankInEitherForm) {
  try {
    resolve_config({{"parallelism", "single"}, {"ranks", 2}});
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "parallelism = \"single\" runs one process but ranks = 2; use ranks = 1 or parallelism = \"sync\"");
    EXPECT_EQ(e.settings, (std::vector<std::string>{"parallelism", "ranks"}));
  }
  EXPECT_EQ(resolve_error({{"parallelism", {{"method", "single"}}}, {"ranks", 2}}),
            "parallelism = \"single\" runs one process but ranks = 2; use ranks = 1 or parallelism = \"sync\"");
  EXPECT_EQ(resolve_error({{"parallelism", "sync"}, {"ranks", 2}}), "");
}

TEST(matrix_resolve_config, VerticalSplitSpreadsOneModelOverTheRanks) {
  EXPECT_EQ(resolve_error({{"vertical", "partition"}, {"ranks", 2}}), "");
  EXPECT_EQ(resolve_error({{"vertical", {{"method", "ensemble"}, {"combine", "linear"}}}, {"ranks", 3}}), "");
  EXPECT_EQ(resolve_error({{"vertical", "partition"}, {"parallelism", "sync"}, {"ranks", 2}}),
            "vertical = \"partition\" spreads one model over the ranks and needs parallelism = \"single\", got "
            "parallelism = {method = \"sync\"}");
  EXPECT_EQ(resolve_error({{"vertical", "ensemble"}, {"horizontal", "early_exit"}, {"ranks", 2}}),
            "vertical = \"ensemble\" cannot be combined with horizontal = {method = \"early_exit\", branch = "
            "\"pool_linear\", branch_training = \"joint\", branch_weight = 1.0, exits = [], threshold = 0.9}");
  EXPECT_NE(resolve_error({{"vertical", {{"method", "ensemble"}, {"combine", "max"}}}}), "");
  EXPECT_EQ(resolve_error({{"vertical", {{"method", "ensemble"}, {"combine", "linear"}, {"training", "end_to_end"}}},
                           {"ranks", 2}}),
            "");
  EXPECT_EQ(resolve_error({{"vertical", {{"method", "ensemble"}, {"training", "end_to_end"}}}, {"ranks", 2}}),
            "vertical = {method = \"ensemble\", combine = \"mean\", combiner_lr = 0.005, training = \"end_to_end\"}: "
            "training = \"end_to_end\" trains a linear combiner and needs combine = \"linear\"");
  EXPECT_EQ(resolve_error({{"vertical", {{"method", "adaboost"}, {"members", 2}}}, {"epochs", 4}}), "");
  EXPECT_EQ(resolve_error({{"vertical", "adaboost"}, {"epochs", 3}, {"ranks", 2}}),
            "vertical = \"adaboost\" trains its members in turn on one rank and needs ranks = 1, got ranks = 2");
  EXPECT_EQ(resolve_error({{"vertical", "adaboost"}, {"epochs", 4}}),
            "vertical = \"adaboost\" trains each of its 3 members epochs / members epochs and needs epochs a "
            "multiple of members, got epochs = 4");
  EXPECT_NE(resolve_error({{"vertical", {{"method", "adaboost"}, {"update", "textbook"}}}, {"epochs", 3}}), "");
}

TEST(matrix_resolve_config, CompressionEncodesWhatSyncOrParamAvgExchanges) {
  EXPECT_EQ(resolve_error({{"compression", "topk"}, {"parallelism", "sync"}, {"ranks", 2}}), "");
  EXPECT_EQ(resolve_error({{"compression", "qsgd"}, {"parallelism", "param_avg"}, {"ranks", 2}}), "");
  EXPECT_EQ(resolve_error({{"compression", "fp16"}}),
            "compression = \"fp16\" encodes what parallelism \"sync\" or \"param_avg\" exchanges, got "
            "parallelism = {method = \"single\"}");
  EXPECT_NE(resolve_error({{"compression", "topk"}, {"parallelism", "gossip"}, {"ranks", 2}}), "");
  const json signsgd = resolve_config({{"compression", "signsgd"}, {"parallelism", "sync"}})["compression"];
  EXPECT_EQ(signsgd["error_feedback"], true);
  EXPECT_EQ(signsgd["granularity"], "layerwise");
  EXPECT_EQ(resolve_config({{"compression", "topk"}, {"parallelism", "sync"}})["compression"]["error_feedback"], false);
  EXPECT_NE(resolve_error({{"compression", {{"method", "topk"}, {"ratio", 0.0}}}, {"parallelism", "sync"}}), "");
  EXPECT_NE(resolve_error({{"compression", {{"method", "qsgd"}, {"levels", 1}}}, {"parallelism", "sync"}}), "");
}

TEST(matrix_resolve_config, PipelinesAreCheckedAtPlanTime) {
  auto pipeline = [](json params) {
    params["method"] = "pipeline";
    return params;
  };
  const json resolved = resolve_config({{"parallelism", "pipeline"}, {"ranks", 2}});
  EXPECT_EQ(resolved["parallelism"]["chunks"], 4);
  EXPECT_EQ(resolved["parallelism"]["schedule"], "fill_drain");
  EXPECT_EQ(resolved["parallelism"]["stages"], 0);
  EXPECT_EQ(resolve_error({{"parallelism", pipeline({{"stages", 2}})}, {"ranks", 4}}), "");
  EXPECT_EQ(resolve_error({{"parallelism", pipeline({{"stages", 2}})}, {"ranks", 3}}),
            "parallelism \"pipeline\" needs ranks a multiple of stages = 2, got ranks = 3");
  EXPECT_EQ(resolve_error({{"parallelism", pipeline({{"chunks", 8}})}, {"ranks", 2}, {"batch_size", 4}}),
            "parallelism \"pipeline\" needs batch_size >= chunks = 8, got batch_size = 4");
  EXPECT_EQ(resolve_error({{"parallelism", pipeline({{"split", {2, 3}}})}, {"ranks", 2}}),
            "parallelism \"pipeline\": split = [2, 3] makes 3 groups for 2 stages");
  EXPECT_EQ(resolve_error({{"parallelism", pipeline({{"split", {3, 2}}})}, {"ranks", 3}}),
            "parallelism \"pipeline\": split = [3, 2] is not increasing");
  EXPECT_EQ(resolve_error({{"parallelism", pipeline({{"boundary_compression", "sortquant"}, {"bits", 4},
                                                     {"split_bits", 4}})},
                           {"ranks", 2}}),
            "parallelism \"pipeline\": sortquant needs split_bits < bits, got split_bits = 4 and bits = 4");
  EXPECT_NE(resolve_error({{"parallelism", pipeline({{"bits", 17}})}, {"ranks", 2}}), "");
  EXPECT_NE(resolve_error({{"parallelism", pipeline({{"schedule", "interleaved"}})}, {"ranks", 2}}), "");
  EXPECT_EQ(resolved["parallelism"]["placement"], "contiguous");
  EXPECT_EQ(resolve_error({{"parallelism", pipeline({{"placement", "first_and_last"}, {"split", {1, 8}}})},
                           {"ranks", 2}}),
            "");
  EXPECT_EQ(resolve_error({{"parallelism", pipeline({{"placement", "first_and_last"}})}, {"ranks", 4}}),
            "parallelism \"pipeline\": placement = \"first_and_last\" needs ranks = 2 and stages = 0 or 2 (rank 0 "
            "the first and last groups, rank 1 the middle), got ranks = 4 and stages = 0");
  EXPECT_NE(resolve_error({{"parallelism", pipeline({{"placement", "first_and_last"}})}, {"ranks", 1}}), "");
  EXPECT_NE(resolve_error({{"parallelism", pipeline({{"placement", "first_and_last"}, {"stages", 1}})}, {"ranks", 2}}),
            "");
  EXPECT_EQ(resolve_error({{"parallelism", pipeline({{"placement", "first_and_last"}, {"schedule", "1f1b"}})},
                           {"ranks", 2}}),
            "parallelism \"pipeline\": placement = \"first_and_last\" runs schedule = \"fill_drain\" (rank 0 "
            "holds two groups), got schedule = \"1f1b\"");
  EXPECT_EQ(resolve_error({{"parallelism", pipeline({{"placement", "first_and_last"}, {"split", {4}}})}, {"ranks", 2}}),
            "parallelism \"pipeline\": split = [4] makes 2 groups; placement = \"first_and_last\" runs 3 (2 points)");
  EXPECT_NE(resolve_error({{"parallelism", pipeline({{"placement", "last"}})}, {"ranks", 2}}), "");
  EXPECT_EQ(resolve_error({{"parallelism", "pipeline"}, {"horizontal", "early_exit"}, {"ranks", 2}}),
            "parallelism \"pipeline\" cannot be combined with horizontal = {method = \"early_exit\", branch = "
            "\"pool_linear\", branch_training = \"joint\", branch_weight = 1.0, exits = [], threshold = 0.9}");
  EXPECT_NE(resolve_error({{"parallelism", "pipeline"}, {"compression", "topk"}, {"ranks", 2}}), "");
  EXPECT_NE(resolve_error({{"parallelism", "pipeline"}, {"vertical", "partition"}, {"ranks", 2}}), "");
}

TEST(matrix_resolve_config, EarlyExitParametersAreChecked) {
  EXPECT_EQ(resolve_error({{"horizontal", {{"method", "early_exit"}, {"exits", {1, 2}}, {"threshold", 0.5}}}}), "");
  EXPECT_NE(resolve_error({{"horizontal", {{"method", "early_exit"}, {"threshold", 0.0}}}}), "");
  EXPECT_NE(resolve_error({{"horizontal", {{"method", "early_exit"}, {"threshold", 1.5}}}}), "");
  EXPECT_NE(resolve_error({{"horizontal", {{"method", "early_exit"}, {"exits", {0}}}}}), "");
  EXPECT_NE(resolve_error({{"horizontal", {{"method", "early_exit"}, {"branch_weight", -1.0}}}}), "");
}

TEST(matrix_resolve_config, NormalizeNoneIsForFileDataSets) {
  EXPECT_EQ(resolve_error({{"normalize", "none"}, {"dataset", "synthetic"}}),
            "normalize = \"none\" applies to the file data sets; dataset = \"synthetic\" is generated standardized "
            "(use normalize = \"standard\")");
  EXPECT_EQ(resolve_error({{"normalize", "none"}, {"dataset", "fashion-mnist"}}), "");
}

TEST(matrix_resolve_config, NesterovNeedsMomentum) {
  EXPECT_EQ(resolve_error({{"nesterov", true}, {"momentum", 0}}),
            "nesterov = true needs momentum > 0, got momentum = 0.0");
  EXPECT_EQ(resolve_error({{"nesterov", true}, {"momentum", 0.5}}), "");
}

TEST(matrix_resolve_config, WarmupMustEndBeforeTheLastEpoch) {
  EXPECT_EQ(resolve_error({{"schedule", "warmup_linear"}, {"warmup_epochs", 3}, {"epochs", 3}}),
            "schedule = \"warmup_linear\" needs warmup_epochs < epochs, got warmup_epochs = 3 and epochs = 3");
  EXPECT_EQ(resolve_error({{"schedule", "warmup_linear"}, {"warmup_epochs", 2}, {"epochs", 3}}), "");
  EXPECT_EQ(resolve_error({{"schedule", "constant"}, {"warmup_epochs", 3}, {"epochs", 3}}), "");
}

TEST(matrix_resolve_config, AveragingOnceAtTheEndIsCountedInEpochs) {
  const json at_end = {{"method", "param_avg"}, {"avg_freq", 0}, {"avg_unit", "epochs"}};
  EXPECT_EQ(resolve_error({{"parallelism", at_end}, {"ranks", 2}}), "");
  EXPECT_EQ(resolve_error({{"parallelism", {{"method", "param_avg"}, {"avg_freq", 0}}}, {"ranks", 2}}),
            "parallelism \"param_avg\": avg_freq = 0 (one average, after the last epoch) needs avg_unit = "
            "\"epochs\", got avg_unit = \"steps\"");
  EXPECT_NE(resolve_error({{"parallelism", {{"method", "w_param_avg"}, {"avg_freq", 0}}}, {"ranks", 2}}), "");
  EXPECT_EQ(resolve_error({{"parallelism", {{"method", "w_param_avg"}, {"avg_freq", 0}, {"avg_unit", "epochs"},
                                            {"weighting", "seed"}}},
                           {"ranks", 2}}),
            "");
  EXPECT_NE(resolve_error({{"parallelism", {{"method", "param_avg"}, {"avg_freq", -1}, {"avg_unit", "epochs"}}},
                           {"ranks", 2}}),
            "");
  EXPECT_NE(resolve_error({{"parallelism", {{"method", "w_param_avg"}, {"weighting", "summed"}}}, {"ranks", 2}}), "");
}

TEST(matrix_closest_name, SuggestsNearNamesOnly) {
  const std::vector<std::string> names = setting_names();
  EXPECT_EQ(closest_name("lrr", names), "lr");
  EXPECT_EQ(closest_name("modle", names), "model");
  EXPECT_EQ(closest_name("paralelism", names), "parallelism");
  EXPECT_EQ(closest_name("batch", names), "batch_size");
  EXPECT_EQ(closest_name("zzzzzz", names), "");
  EXPECT_EQ(closest_name("MLP", {"mlp", "lenet"}), "mlp");
  EXPECT_EQ(closest_name("cifar", {"fashion-mnist", "mnist", "cifar10", "synthetic"}), "cifar10");
  EXPECT_EQ(closest_name("anything", {}), "");
}

TEST(matrix_closest_name, CloseNamesListsEveryNearNameNearestFirst) {
  EXPECT_EQ(close_names("bytes", {"params", "bytes_received", "bytes_sent"}),
            (std::vector<std::string>{"bytes_sent", "bytes_received"}));
  EXPECT_EQ(close_names("lrr", {"lr", "seed"}), (std::vector<std::string>{"lr"}));
  EXPECT_TRUE(close_names("zzzzzz", {"lr", "seed"}).empty());
}

TEST(matrix_value_text, WritesValuesAsInASweepFile) {
  EXPECT_EQ(value_text("mlp"), "\"mlp\"");
  EXPECT_EQ(value_text(2.0), "2.0");
  EXPECT_EQ(value_text(json::array({64, 32})), "[64, 32]");
  EXPECT_EQ(value_text(json{{"parallelism", "sync"}, {"ranks", 2}}), "{parallelism = \"sync\", ranks = 2}");
  EXPECT_EQ(value_text(json{{"avg_freq", 4}, {"method", "param_avg"}}), "{method = \"param_avg\", avg_freq = 4}");
}

// The cells of the rows of the first table under "## Settings" in docs/sweep-files.md, header rows left out.
std::vector<std::vector<std::string>> documented_settings() {
  std::ifstream docs(std::string(IDDL_SOURCE_DIR) + "/docs/sweep-files.md");
  std::vector<std::vector<std::string>> rows;
  bool in_section = false;
  for (std::string line; std::getline(docs, line);) {
    if (line == "## Settings") in_section = true;
    if (!in_section) continue;
    if (line.rfind("|", 0) != 0) {
      if (!rows.empty()) break;
      continue;
    }
    std::vector<std::string> cells;
    for (size_t at = 1, bar; (bar = line.find('|', at)) != std::string::npos; at = bar + 1) {
      std::string cell = line.substr(at, bar - at);
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
    }
    rows.push_back(cells);
  }
  return rows.size() < 2 ? rows : std::vector<std::vector<std::string>>(rows.begin() + 2, rows.end());
}

TEST(matrix_settings, DocsTableListsEverySettingWithItsTypeDefaultAndHelp) {
  const auto rows = documented_settings();
  ASSERT_EQ(rows.size(), settings().size()) << "docs/sweep-files.md, \"Settings\"";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Setting& s = settings()[i];
    ASSERT_EQ(rows[i].size(), 5u) << "docs/sweep-files.md, \"Settings\", row of " << s.name;
    EXPECT_EQ(rows[i][0], "`" + s.name + "`") << "row " << i + 1 << ": the registry's order";
    // a method setting outside the five IDDL axes (augment) is documented as a "method"
    EXPECT_EQ(rows[i][1], s.kind == Kind::Axis && !s.iddl_axis ? "method" : kind_name(s.kind)) << s.name;
    EXPECT_EQ(rows[i][2], "`" + value_text(s.default_value) + "`") << s.name;
    EXPECT_EQ(rows[i][4], s.help) << s.name;
  }
}

}  // namespace
}  // namespace iddl::matrix
