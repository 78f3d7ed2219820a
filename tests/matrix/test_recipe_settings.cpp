// The training-recipe settings: number lists (lr_epochs, lr_values), the piecewise and cosine schedules,
// the loss, and the MLP's activation and dropout; their checks across settings and run keys.
#include <gtest/gtest.h>

#include <string>

#include "matrix/config.hpp"
#include "matrix/run_key.hpp"
#include "matrix/settings.hpp"
#include "tests/matrix/sweep_text.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

json piecewise(json epochs, json values) {
  return {{"schedule", "piecewise"}, {"lr_epochs", std::move(epochs)}, {"lr_values", std::move(values)}};
}

TEST(matrix_number_list, TakesIntegersAndFloatsAndNormalizesThemToFloats) {
  EXPECT_EQ(find_setting("lr_epochs")->kind, Kind::FloatList);
  EXPECT_EQ(kind_name(Kind::FloatList), "list of numbers");
  const json resolved = resolve_config(piecewise({0, 5, 24}, {0, 0.4, 0}));
  EXPECT_EQ(resolved["lr_epochs"], json::array({0.0, 5.0, 24.0}));
  EXPECT_TRUE(resolved["lr_epochs"][1].is_number_float());
  EXPECT_TRUE(resolved["lr_values"][0].is_number_float());
  EXPECT_EQ(resolve_config(json::object())["lr_epochs"], json::array());
  // integers and floats of the same values are one run
  EXPECT_EQ(run_key(resolve_config(piecewise({0, 5, 24}, {0, 0.4, 0}))),
            run_key(resolve_config(piecewise({0.0, 5.0, 24.0}, {0.0, 0.4, 0.0}))));
  EXPECT_NE(run_key(resolve_config(piecewise({0, 5, 24}, {0, 0.4, 0}))),
            run_key(resolve_config(piecewise({0, 5, 30}, {0, 0.4, 0}))));
}

TEST(matrix_number_list, RejectsWhatIsNotAListOfFiniteNumbersInRange) {
  EXPECT_EQ(resolve_error({{"lr_values", 0.4}}), "lr_values = 0.4 is not a list of numbers");
  EXPECT_EQ(resolve_error({{"lr_values", {0.1, "a"}}}), "lr_values = [0.1, \"a\"] is not a list of numbers");
  EXPECT_EQ(resolve_error({{"lr_values", {0.1, -0.2}}}),
            "lr_values = [0.1, -0.2] is out of range: every element must be >= 0, got -0.2");
  EXPECT_EQ(resolve_error({{"lr_epochs", {0, -1}}}),
            "lr_epochs = [0, -1] is out of range: every element must be >= 0, got -1");
}

TEST(matrix_piecewise, ChecksTheKnots) {
  EXPECT_EQ(resolve_error(piecewise({0, 5, 24}, {0.0, 0.4, 0.0})), "");
  EXPECT_EQ(resolve_error(piecewise({0, 5, 24}, {0.0, 0.4})),
            "schedule = \"piecewise\" needs one lr_values entry per lr_epochs entry, got lr_epochs = [0.0, 5.0, 24.0] "
            "(3) and lr_values = [0.0, 0.4] (2)");
  EXPECT_EQ(resolve_error(piecewise({0}, {0.1})),
            "schedule = \"piecewise\" needs at least 2 knots, e.g. lr_epochs = [0, 5, 24] and lr_values = "
            "[0.0, 0.4, 0.0], got lr_epochs = [0.0]");
  EXPECT_EQ(resolve_error(piecewise(json::array(), json::array())),
            "schedule = \"piecewise\" needs at least 2 knots, e.g. lr_epochs = [0, 5, 24] and lr_values = "
            "[0.0, 0.4, 0.0], got lr_epochs = []");
  EXPECT_EQ(resolve_error(piecewise({1, 5}, {0.1, 0.2})),
            "schedule = \"piecewise\": lr_epochs = [1.0, 5.0] must start at 0, got 1.0");
  EXPECT_EQ(resolve_error(piecewise({0, 5, 5}, {0.1, 0.2, 0.0})),
            "schedule = \"piecewise\": lr_epochs = [0.0, 5.0, 5.0] must be strictly increasing, got 5.0 after 5.0");
  EXPECT_EQ(resolve_error({{"lr_epochs", {0, 5}}, {"lr_values", {0.1, 0.2}}}),
            "lr_epochs and lr_values are the knots of schedule = \"piecewise\", got schedule = \"constant\" with "
            "lr_epochs = [0.0, 5.0] and lr_values = [0.1, 0.2]");
}

TEST(matrix_piecewise, ASweepFileNamesTheLineOfTheBadKnots) {
  EXPECT_EQ(load_error(kHeader + "[base]\nschedule = \"piecewise\"\nlr_epochs = [0, 5, 3]\nlr_values = [0.0, 0.4, 0.0]\n",
                       4, 12),
            "schedule = \"piecewise\": lr_epochs = [0.0, 5.0, 3.0] must be strictly increasing, got 3.0 after 5.0");
  EXPECT_EQ(load_error(kHeader + "[base]\nlr_values = [0.1, \"x\"]\n", 4, 13),
            "lr_values = [0.1, \"x\"] is not a list of numbers");
}

TEST(matrix_piecewise, ListsOfKnotsCrossInTheMatrix) {
  const Sweep sweep = load_text(kHeader +
                                "[base]\nschedule = \"piecewise\"\nlr_epochs = [0, 5, 24]\n"
                                "[matrix]\nlr_values = [[0.0, 0.4, 0.0], [0.0, 0.2, 0.0]]\n");
  EXPECT_EQ(values_of(sweep, "lr_values"), (std::vector<std::string>{"[0.0, 0.4, 0.0]", "[0.0, 0.2, 0.0]"}));
  EXPECT_EQ(load_error(kHeader + "[base]\nschedule = \"piecewise\"\nlr_epochs = [0, 5]\n[matrix]\nlr_values = [0.1, 0.2]\n",
                       7, 14),
            "lr_values = 0.1 is not a list of numbers; in [matrix], lr_values takes a list of lists, e.g. "
            "lr_values = [[0.0, 0.4, 0.0], [0.0, 0.2, 0.0]]");
}

TEST(matrix_cosine, NeedsWarmupEpochsBelowEpochs) {
  EXPECT_EQ(resolve_error({{"schedule", "cosine"}, {"epochs", 10}, {"warmup_epochs", 1}}), "");
  EXPECT_EQ(resolve_error({{"schedule", "cosine"}, {"epochs", 10}, {"warmup_epochs", 0}}), "");
  EXPECT_EQ(resolve_error({{"schedule", "cosine"}, {"epochs", 2}, {"warmup_epochs", 2}}),
            "schedule = \"cosine\" needs warmup_epochs < epochs, got warmup_epochs = 2 and epochs = 2");
}

TEST(matrix_loss, LabelSmoothingIsForCrossEntropyOnly) {
  EXPECT_EQ(resolve_error({{"loss", "mse"}, {"loss_reduction", "sum"}}), "");
  EXPECT_EQ(resolve_error({{"label_smoothing", 0.1}}), "");
  EXPECT_EQ(resolve_error({{"loss", "mse"}, {"label_smoothing", 0.1}}),
            "label_smoothing = 0.1 smooths the targets of loss = \"cross_entropy\", got loss = \"mse\"");
  EXPECT_EQ(resolve_error({{"label_smoothing", 1.0}}),
            "label_smoothing = 1.0 is out of range: must be >= 0 and < 1");
  EXPECT_EQ(resolve_error({{"loss", "hinge"}}),
            "loss = \"hinge\" is not one of cross_entropy, mse");
}

TEST(matrix_hidden_activation, AppliesToTheMlpOnly) {
  EXPECT_EQ(resolve_error({{"activation", "leaky_relu"}, {"leaky_slope", 0.1}, {"dropout", 0.2}}), "");
  EXPECT_EQ(resolve_error({{"model", "lenet"}, {"activation", "leaky_relu"}}),
            "activation = \"leaky_relu\" applies to model = \"mlp\" only, got model = \"lenet\"");
  EXPECT_EQ(resolve_error({{"model", "resnet9"}, {"dropout", 0.2}}),
            "dropout = 0.2 applies to model = \"mlp\" only, got model = \"resnet9\"");
  EXPECT_EQ(resolve_error({{"model", "lenet"}, {"dropout", 0}, {"activation", "relu"}}), "");  // the defaults
  EXPECT_EQ(resolve_error({{"leaky_slope", 0.1}}),
            "leaky_slope = 0.1 needs activation = \"leaky_relu\", got activation = \"relu\"");
  EXPECT_EQ(resolve_error({{"dropout", 1.0}}), "dropout = 1.0 is out of range: must be >= 0 and < 1");
}

TEST(matrix_hidden_activation, GaussianDropoutKindNeedsDropoutOnTheMlp) {
  EXPECT_EQ(resolve_error({{"dropout", 0.2}, {"dropout_kind", "gaussian"}}), "");
  EXPECT_EQ(resolve_error({{"dropout_kind", "gaussian"}}),
            "dropout_kind = \"gaussian\" needs dropout > 0, got dropout = 0.0");
  EXPECT_EQ(resolve_error({{"model", "lenet"}, {"dropout_kind", "gaussian"}}),
            "dropout_kind = \"gaussian\" applies to model = \"mlp\" only, got model = \"lenet\"");
  EXPECT_EQ(resolve_error({{"model", "lenet"}, {"dropout_kind", "bernoulli"}}), "");  // the default
  EXPECT_EQ(resolve_error({{"dropout", 0.2}, {"dropout_kind", "uniform"}}),
            "dropout_kind = \"uniform\" is not one of bernoulli, gaussian");
}

TEST(matrix_recipe_settings, DefaultsChangeNoRunKey) {
  EXPECT_EQ(run_key(resolve_config({{"loss", "cross_entropy"}, {"loss_reduction", "mean"}, {"label_smoothing", 0.0},
                                    {"activation", "relu"}, {"leaky_slope", 0.01}, {"dropout", 0.0},
                                    {"dropout_kind", "bernoulli"},
                                    {"lr_epochs", json::array()}, {"lr_values", json::array()}})),
            run_key(json::object()));
}

}  // namespace
}  // namespace iddl::matrix
