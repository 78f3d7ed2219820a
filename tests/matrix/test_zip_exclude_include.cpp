// [[zip]], [[exclude]] and [[include]]: how they shape the planned runs, and their errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/matrix/sweep_text.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

const std::string kModels = "[matrix]\nmodel = [\"mlp\", \"lenet\"]\n";  // lines 3 and 4 after kHeader

TEST(matrix_zip, SettingsOfAZipAdvanceTogetherAsOneAxis) {
  const Sweep sweep = load_text(kHeader + kModels + "[[zip]]\nlr = [0.1, 0.2, 0.3]\nbatch_size = [16, 32, 64]\n");
  ASSERT_EQ(sweep.runs.size(), 6u);
  EXPECT_EQ(sweep.varying, (Strings{"model", "lr", "batch_size"}));
  EXPECT_EQ(values_of(sweep, "model"),
            (Strings{"\"mlp\"", "\"mlp\"", "\"mlp\"", "\"lenet\"", "\"lenet\"", "\"lenet\""}));
  EXPECT_EQ(values_of(sweep, "lr"), (Strings{"0.1", "0.2", "0.3", "0.1", "0.2", "0.3"}));
  EXPECT_EQ(values_of(sweep, "batch_size"), (Strings{"16", "32", "64", "16", "32", "64"}));
}

TEST(matrix_zip, AxesAreOrderedAsWrittenFirstSlowest) {
  const Sweep sweep = load_text(kHeader + "[[zip]]\nlr = [0.1, 0.2]\n" + "[matrix]\nmodel = [\"mlp\", \"lenet\"]\n" +
                                "[[zip]]\nepochs = [1, 2]\nbatch_size = [8, 16]\n");
  EXPECT_EQ(sweep.varying, (Strings{"lr", "model", "epochs", "batch_size"}));
  ASSERT_EQ(sweep.runs.size(), 8u);
  EXPECT_EQ(values_of(sweep, "lr"), (Strings{"0.1", "0.1", "0.1", "0.1", "0.2", "0.2", "0.2", "0.2"}));
  EXPECT_EQ(values_of(sweep, "model"),
            (Strings{"\"mlp\"", "\"mlp\"", "\"lenet\"", "\"lenet\"", "\"mlp\"", "\"mlp\"", "\"lenet\"", "\"lenet\""}));
  EXPECT_EQ(values_of(sweep, "epochs"), (Strings{"1", "2", "1", "2", "1", "2", "1", "2"}));
  EXPECT_EQ(values_of(sweep, "batch_size"), (Strings{"8", "16", "8", "16", "8", "16", "8", "16"}));
}

TEST(matrix_zip, PairsAnAxisMethodWithItsRanks) {
  const Sweep sweep = load_text(kHeader + "[[zip]]\nparallelism = [\"single\", {method = \"sync\"}]\nranks = [1, 4]\n");
  EXPECT_EQ(sweep.varying, (Strings{"parallelism", "ranks"}));
  EXPECT_EQ(values_of(sweep, "parallelism"), (Strings{"{method = \"single\"}", "{method = \"sync\"}"}));
  EXPECT_EQ(values_of(sweep, "ranks"), (Strings{"1", "4"}));
}

TEST(matrix_zip, ArraysOfDifferentLengthsNameBoth) {
  EXPECT_EQ(load_error(kHeader + "[[zip]]\nmodel = [\"mlp\", \"lenet\"]\nlr = [0.1, 0.2, 0.3]\n", 5, 6),
            "[[zip]] arrays must have the same length: model has 2 values (line 4) but lr has 3 values");
  EXPECT_EQ(load_error(kHeader + "[[zip]]\nmodel = [\"mlp\", \"lenet\"]\nlr = [0.1]\n", 5, 6),
            "[[zip]] arrays must have the same length: model has 2 values (line 4) but lr has 1 value");
}

TEST(matrix_zip, ASettingIsDecidedInOnePlaceOnly) {
  EXPECT_EQ(load_error(kHeader + "[base]\nlr = 0.1\n[[zip]]\nlr = [0.2]\n", 6, 1),
            "setting 'lr' is in both [base] (line 4) and [[zip]]; keep one");
  EXPECT_EQ(load_error(kHeader + kModels + "[[zip]]\nmodel = [\"lenet\"]\n", 6, 1),
            "setting 'model' is in both [matrix] (line 4) and [[zip]]; keep one");
  EXPECT_EQ(load_error(kHeader + "[[zip]]\nlr = [0.2]\n" + "[[zip]]\nepochs = [1]\nlr = [0.3]\n", 7, 1),
            "setting 'lr' is in both [[zip]] (line 4) and [[zip]]; keep one");
  EXPECT_EQ(load_error(kHeader + "[[zip]]\nmodel = [\"lenet\"]\n" + kModels, 6, 1),
            "setting 'model' is in both [[zip]] (line 4) and [matrix]; keep one");
}

TEST(matrix_zip, ValuesAreArraysOfCheckedValues) {
  EXPECT_EQ(load_error(kHeader + "[[zip]]\nlr = 0.1\n", 4, 6),
            "[[zip]] lr = 0.1 must be an array of values to cross, e.g. lr = [0.1]; a value shared by every run "
            "belongs in [base]");
  EXPECT_EQ(load_error(kHeader + "[[zip]]\nlr = []\n", 4, 6), "[[zip]] lr = [] has no values");
  EXPECT_EQ(load_error(kHeader + "[[zip]]\n", 3, 1),
            "[[zip]] is empty; give settings with one array each, e.g. model = [\"mlp\", \"lenet\"]");
  EXPECT_EQ(load_error(kHeader + "[[zip]]\nhidden = [64, 32]\n", 4, 11),
            "hidden = 64 is not a list of integers; in [[zip]], hidden takes a list of lists, e.g. hidden = [[64], "
            "[128, 64]]");
  EXPECT_EQ(load_error(kHeader + "[[zip]]\nlrr = [0.1]\n", 4, 1), "unknown setting 'lrr' (did you mean 'lr'?)");
}

TEST(matrix_zip, APassedLimitNamesTheZip) {
  std::string many = "[";
  for (int i = 1; i <= 400; ++i) many += std::to_string(i) + (i < 400 ? ", " : "]\n");
  EXPECT_EQ(
      load_error(kHeader + "[matrix]\nepochs = " + many + "[[zip]]\nseed = " + many + "batch_size = " + many, 6, 9),
      "[[zip]] seed, batch_size takes the sweep past 100000 runs");
}

TEST(matrix_exclude, RemovesCombinationsMatchingEveryKey) {
  const Sweep sweep =
      load_text(kHeader + kModels + "batch_size = [32, 64]\n[[exclude]]\nmodel = \"lenet\"\nbatch_size = 64\n");
  EXPECT_EQ(values_of(sweep, "model"), (Strings{"\"mlp\"", "\"mlp\"", "\"lenet\""}));
  EXPECT_EQ(values_of(sweep, "batch_size"), (Strings{"32", "64", "32"}));
}

TEST(matrix_exclude, AListMatchesAnyOfItsValues) {
  const Sweep sweep = load_text(kHeader + kModels +
                                "batch_size = [16, 32, 64]\n[[exclude]]\nmodel = \"lenet\"\nbatch_size = [16, 64]\n");
  EXPECT_EQ(values_of(sweep, "batch_size"), (Strings{"16", "32", "64", "32"}));
}

TEST(matrix_exclude, RemovesCombinationsThatWouldBreakARule) {
  const Sweep sweep = load_text(kHeader + "[matrix]\nparallelism = [\"single\", \"sync\"]\nranks = [1, 2]\n" +
                                "[[exclude]]\nparallelism = \"single\"\nranks = 2\n");
  EXPECT_EQ(values_of(sweep, "parallelism"),
            (Strings{"{method = \"single\"}", "{method = \"sync\"}", "{method = \"sync\"}"}));
  EXPECT_EQ(values_of(sweep, "ranks"), (Strings{"1", "1", "2"}));
}

TEST(matrix_exclude, AxisNamesAndTablesMatchEitherForm) {
  const std::string zip = "[[zip]]\nparallelism = [\"single\", {method = \"sync\"}, \"sync\"]\nranks = [1, 2, 4]\n";
  const Sweep by_name = load_text(kHeader + zip + "[[exclude]]\nparallelism = \"sync\"\n");
  EXPECT_EQ(values_of(by_name, "ranks"), (Strings{"1"}));
  const Sweep by_table = load_text(kHeader + zip + "[[exclude]]\nparallelism = {method = \"sync\"}\nranks = 4\n");
  EXPECT_EQ(values_of(by_table, "ranks"), (Strings{"1", "2"}));
}

TEST(matrix_exclude, ValuesAreComparedAsResolvedIncludingDefaults) {
  const Sweep by_number = load_text(kHeader + "[matrix]\nlr = [1, 0.5]\n[[exclude]]\nlr = 1.0\n");
  EXPECT_EQ(values_of(by_number, "lr"), (Strings{"0.5"}));
  const Sweep by_default = load_text(kHeader + kModels + "[[exclude]]\nmodel = \"lenet\"\nepochs = 2\n");
  EXPECT_EQ(values_of(by_default, "model"), (Strings{"\"mlp\""}));
}

TEST(matrix_exclude, AListSettingTakesOneListOrAListOfLists) {
  const std::string matrix = "[matrix]\nhidden = [[64], [32], []]\n";
  EXPECT_EQ(values_of(load_text(kHeader + matrix + "[[exclude]]\nhidden = [64]\n"), "hidden"), (Strings{"[32]", "[]"}));
  EXPECT_EQ(values_of(load_text(kHeader + matrix + "[[exclude]]\nhidden = []\n"), "hidden"), (Strings{"[64]", "[32]"}));
  EXPECT_EQ(values_of(load_text(kHeader + matrix + "[[exclude]]\nhidden = [[64], []]\n"), "hidden"), (Strings{"[32]"}));
}

TEST(matrix_exclude, ATableThatRemovesNothingIsAnError) {
  EXPECT_EQ(load_error(kHeader + kModels + "\n[[exclude]]\nmodel = \"resnet9\"\n", 6, 1),
            "[[exclude]] {model = \"resnet9\"} removes no run: no planned combination takes all of these values");
  EXPECT_EQ(
      load_error(kHeader + kModels + "[[exclude]]\nmodel = \"lenet\"\n[[exclude]]\nmodel = \"lenet\"\nepochs = 3\n", 7,
                 1),
      "[[exclude]] {epochs = 3, model = \"lenet\"} removes no run: no planned combination takes all of these values");
}

TEST(matrix_exclude, RemovingEveryRunIsAnError) {
  EXPECT_EQ(load_error(kHeader + kModels + "[[exclude]]\nmodel = [\"mlp\", \"lenet\"]\n", 5, 1),
            "the [[exclude]] tables remove every planned run");
}

TEST(matrix_exclude, KeysAndValuesAreChecked) {
  EXPECT_EQ(load_error(kHeader + kModels + "[[exclude]]\nmodle = \"mlp\"\n", 6, 1),
            "unknown setting 'modle' (did you mean 'model'?)");
  EXPECT_EQ(load_error(kHeader + kModels + "[[exclude]]\nmodel = [\"mlp\", \"resnt9\"]\n", 6, 17),
            "model = \"resnt9\" is not one of mlp, lenet, resnet9, resnet18, mobilenetv2, alexnet, vgg16 (did you mean \"resnet9\"?)");
  EXPECT_EQ(load_error(kHeader + kModels + "[[exclude]]\nmodel = []\n", 6, 9), "[[exclude]] model = [] has no values");
  EXPECT_EQ(load_error(kHeader + kModels + "[[exclude]]\n", 5, 1),
            "[[exclude]] is empty; give the settings of the runs to remove, e.g. model = \"lenet\"");
  EXPECT_EQ(load_error(kHeader + kModels + "[[exclude]]\nparallelism = \"synk\"\n", 6, 15),
            "unknown parallelism method 'synk' (did you mean 'sync'?)");
}

TEST(matrix_include, AddsRunsOfBaseSettingsAndDefaults) {
  const Sweep sweep =
      load_text(kHeader + "[base]\nepochs = 3\n[matrix]\nmodel = [\"mlp\", \"lenet\"]\nbatch_size = [16, 32]\n" +
                "[[include]]\nmodel = \"resnet9\"\nlr = 0.2\n");
  ASSERT_EQ(sweep.runs.size(), 5u);
  EXPECT_EQ(sweep.varying, (Strings{"model", "batch_size", "lr"}));
  const json& included = sweep.runs.back().config;
  EXPECT_EQ(included["model"], "resnet9");
  EXPECT_DOUBLE_EQ(included["lr"].get<double>(), 0.2);
  EXPECT_EQ(included["epochs"], 3);
  EXPECT_EQ(included["batch_size"], 64);  // the default, not the first [matrix] value
}

TEST(matrix_include, OverridesBaseAndTakesRepeats) {
  const Sweep sweep = load_text("[sweep]\nname = \"i\"\nrepeats = 2\n[base]\nlr = 0.1\n[[include]]\nlr = 0.3\n");
  EXPECT_EQ(values_of(sweep, "lr"), (Strings{"0.1", "0.1", "0.3", "0.3"}));
  EXPECT_EQ(values_of(sweep, "seed"), (Strings{"1", "2", "1", "2"}));
  EXPECT_EQ(sweep.varying, (Strings{"lr", "seed"}));
  const Sweep seeded = load_text("[sweep]\nname = \"i\"\nseeds = [3, 9]\n[[include]]\nlr = 0.3\n");
  EXPECT_EQ(values_of(seeded, "seed"), (Strings{"3", "9", "3", "9"}));
}

TEST(matrix_include, SeveralIncludesMaySetTheSameSetting) {
  const Sweep sweep = load_text(
      kHeader + "[base]\nmodel = \"lenet\"\n[[include]]\nmodel = \"mlp\"\n[[include]]\nmodel = \"resnet9\"\n");
  EXPECT_EQ(values_of(sweep, "model"), (Strings{"\"lenet\"", "\"mlp\"", "\"resnet9\""}));
}

TEST(matrix_include, ARunAlreadyPlannedIsADuplicate) {
  const std::string message = load_error(kHeader + kModels + "[[include]]\nmodel = \"lenet\"\n", 5, 1);
  EXPECT_EQ(
      message.rfind("runs {model = \"lenet\"} and [[include]] {model = \"lenet\"} have the same settings (run key ", 0),
      0u)
      << message;
}

TEST(matrix_include, ErrorsPointIntoTheTable) {
  EXPECT_EQ(load_error(kHeader + "[[include]]\nlrr = 0.1\n", 4, 1), "unknown setting 'lrr' (did you mean 'lr'?)");
  EXPECT_EQ(load_error(kHeader + "[[include]]\nepochs = 0\n", 4, 10), "epochs = 0 is out of range: must be >= 1");
  EXPECT_EQ(load_error(kHeader + "[[include]]\nparallelism = \"single\"\nranks = 2\n", 4, 15),
            "run [[include]] {parallelism = \"single\", ranks = 2}: parallelism = \"single\" runs one process but "
            "ranks = 2; use ranks = 1 or parallelism = \"sync\"");
  EXPECT_EQ(
      load_error("[sweep]\nname = \"i\"\n[launch]\nranks = 2\n[base]\nparallelism = \"sync\"\n[[include]]\nranks = 1\n",
                 8, 1),
      "setting 'ranks' is in both [launch] ranks (line 4) and [[include]]; keep one");
}

}  // namespace
}  // namespace iddl::matrix
