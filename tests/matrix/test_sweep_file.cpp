// Sweep files: parsing, checking with file:line:col errors, matrix expansion, axis methods, repeats and seeds.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "matrix/config.hpp"
#include "tests/matrix/sweep_text.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

TEST(matrix_sweep_file, MinimalSweepIsOneRunOfDefaults) {
  const Sweep sweep = load_text(kHeader);
  EXPECT_EQ(sweep.name, "t");
  EXPECT_EQ(sweep.repeats, 1);
  EXPECT_TRUE(sweep.varying.empty());
  ASSERT_EQ(sweep.runs.size(), 1u);
  EXPECT_EQ(sweep.runs[0].config, resolve_config(json::object()));
  EXPECT_EQ(sweep.runs[0].repeat, 0);
}

TEST(matrix_sweep_file, BaseAppliesToEveryRunAndIsKeptAsGiven) {
  const Sweep sweep = load_text(kHeader + "[base]\nepochs = 5\nlr = 1\n[matrix]\nmodel = [\"mlp\", \"lenet\"]\n");
  EXPECT_EQ(sweep.base, (json{{"epochs", 5}, {"lr", 1}}));
  EXPECT_EQ(values_of(sweep, "epochs"), (std::vector<std::string>{"5", "5"}));
  EXPECT_EQ(values_of(sweep, "lr"), (std::vector<std::string>{"1.0", "1.0"}));
}

TEST(matrix_sweep_file, MatrixIsCrossedFirstAxisSlowestInFileOrder) {
  const Sweep sweep = load_text(kHeader + "[matrix]\nmodel = [\"mlp\", \"lenet\"]\nbatch_size = [32, 64, 128]\n");
  EXPECT_EQ(sweep.varying, (std::vector<std::string>{"model", "batch_size"}));
  ASSERT_EQ(sweep.runs.size(), 6u);
  EXPECT_EQ(values_of(sweep, "model"),
            (std::vector<std::string>{"\"mlp\"", "\"mlp\"", "\"mlp\"", "\"lenet\"", "\"lenet\"", "\"lenet\""}));
  EXPECT_EQ(values_of(sweep, "batch_size"), (std::vector<std::string>{"32", "64", "128", "32", "64", "128"}));
}

TEST(matrix_sweep_file, AnySettingMayBeAnAxis) {
  const Sweep sweep = load_text(kHeader +
                                "[matrix]\ndevice = [\"cpu\"]\ndata_dir = [\"a\", \"b\"]\nnesterov = [false, true]\n");
  EXPECT_EQ(sweep.varying, (std::vector<std::string>{"data_dir", "nesterov"}));
  EXPECT_EQ(values_of(sweep, "data_dir"), (std::vector<std::string>{"\"a\"", "\"a\"", "\"b\"", "\"b\""}));
  EXPECT_EQ(values_of(sweep, "nesterov"), (std::vector<std::string>{"false", "true", "false", "true"}));
}

TEST(matrix_sweep_file, AxisValuesAreMethodNamesOrTablesResolvedToObjects) {
  const Sweep by_name = load_text(kHeader + "[base]\nparallelism = \"sync\"\nranks = 2\n");
  const Sweep by_table = load_text(kHeader + "[base]\nparallelism = {method = \"sync\"}\nranks = 2\n");
  EXPECT_EQ(by_name.runs[0].config["parallelism"], (json{{"method", "sync"}}));
  EXPECT_EQ(by_name.runs[0].key, by_table.runs[0].key);
  EXPECT_EQ(by_table.base["parallelism"], (json{{"method", "sync"}}));
  EXPECT_EQ(by_name.base["parallelism"], "sync");
}

TEST(matrix_sweep_file, AnAxisNamedAndWrittenAsATableIsOneRun) {
  const std::string message =
      load_error(kHeader + "[base]\nranks = 2\n[matrix]\nparallelism = [\"sync\", {method = \"sync\"}]\n", 6, 24);
  EXPECT_EQ(message.rfind("runs {parallelism = \"sync\"} and {parallelism = {method = \"sync\"}} have the same "
                          "settings (run key ",
                          0),
            0u)
      << message;
}

TEST(matrix_sweep_file, HiddenInMatrixIsAnArrayOfArrays) {
  const Sweep sweep = load_text(kHeader + "[matrix]\nhidden = [[64], [128, 64], []]\n");
  EXPECT_EQ(values_of(sweep, "hidden"), (std::vector<std::string>{"[64]", "[128, 64]", "[]"}));
}

TEST(matrix_sweep_file, RepeatsAreInnermostAndChangeSeedAndKey) {
  const Sweep sweep =
      load_text("[sweep]\nname = \"r\"\nrepeats = 3\n[base]\nseed = 7\n[matrix]\nmodel = [\"mlp\", \"lenet\"]\n");
  EXPECT_EQ(sweep.varying, (std::vector<std::string>{"model", "seed"}));
  ASSERT_EQ(sweep.runs.size(), 6u);
  EXPECT_EQ(values_of(sweep, "seed"), (std::vector<std::string>{"7", "8", "9", "7", "8", "9"}));
  EXPECT_EQ(values_of(sweep, "model")[2], "\"mlp\"");
  std::vector<int> repeats;
  std::set<std::string> keys;
  for (const auto& run : sweep.runs) {
    repeats.push_back(run.repeat);
    keys.insert(run.key);
  }
  EXPECT_EQ(repeats, (std::vector<int>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(keys.size(), 6u);
}

TEST(matrix_sweep_file, RunKeysAreStableAcrossLoads) {
  const std::string text = kHeader + "[matrix]\nmodel = [\"mlp\", \"lenet\"]\n";
  const Sweep first = load_text(text);
  const Sweep second = parse_sweep(text, "other-name.toml");
  ASSERT_EQ(first.runs.size(), second.runs.size());
  for (std::size_t i = 0; i < first.runs.size(); ++i) EXPECT_EQ(first.runs[i].key, second.runs[i].key);
  EXPECT_NE(first.runs[0].key, first.runs[1].key);
}

TEST(matrix_sweep_errors, UnknownSettingInBaseNamesLineAndSuggestion) {
  EXPECT_EQ(load_error(kHeader + "[base]\nepochs = 3\nlrr = 0.1\n", 5, 1), "unknown setting 'lrr' (did you mean 'lr'?)");
}

TEST(matrix_sweep_errors, ValueNotAmongChoicesPointsAtTheValue) {
  EXPECT_EQ(load_error(kHeader + "[matrix]\nmodel = [\"mlp\", \"resnt9\"]\n", 4, 17),
            "model = \"resnt9\" is not one of mlp, lenet, resnet9, resnet18, mobilenetv2, alexnet, vgg16 (did you mean \"resnet9\"?)");
}

TEST(matrix_sweep_errors, ValueOutOfRange) {
  EXPECT_EQ(load_error(kHeader + "\n[base]\nepochs = 0\n", 5, 10), "epochs = 0 is out of range: must be >= 1");
  EXPECT_EQ(load_error(kHeader + "[matrix]\nmomentum = [0.5, 1.5]\n", 4, 18),
            "momentum = 1.5 is out of range: must be >= 0 and < 1");
}

TEST(matrix_sweep_errors, ValueOfTheWrongType) {
  EXPECT_EQ(load_error(kHeader + "[base]\nepochs = 2.0\n", 4, 10), "epochs = 2.0 is not an integer (write 2)");
  EXPECT_EQ(load_error(kHeader + "[base]\nlr = \"fast\"\n", 4, 6), "lr = \"fast\" is not a number");
  EXPECT_EQ(load_error(kHeader + "[base]\nepochs = 1979-05-27\n", 4, 10), "dates and times are not setting values");
}

TEST(matrix_sweep_errors, FlatHiddenListInMatrixGetsAHint) {
  EXPECT_EQ(load_error(kHeader + "[matrix]\nhidden = [64, 32]\n", 4, 11),
            "hidden = 64 is not a list of integers; in [matrix], hidden takes a list of lists, "
            "e.g. hidden = [[64], [128, 64]]");
}

TEST(matrix_sweep_errors, MatrixValuesMustBeNonEmptyArrays) {
  EXPECT_EQ(load_error(kHeader + "[matrix]\nmodel = \"mlp\"\n", 4, 9),
            "[matrix] model = \"mlp\" must be an array of values to cross, e.g. model = [\"mlp\"]; "
            "a value shared by every run belongs in [base]");
  EXPECT_EQ(load_error(kHeader + "[matrix]\nmodel = []\n", 4, 9), "[matrix] model = [] has no values");
}

TEST(matrix_sweep_errors, SettingInBothBaseAndMatrix) {
  EXPECT_EQ(load_error(kHeader + "[base]\nepochs = 2\n[matrix]\nepochs = [1, 2]\n", 6, 1),
            "setting 'epochs' is in both [base] (line 4) and [matrix]; keep one");
}

TEST(matrix_sweep_errors, UnknownAxisMethodsPointAtTheName) {
  EXPECT_EQ(load_error(kHeader + "[matrix]\nparallelism = [\"single\", \"synk\"]\n", 4, 26),
            "unknown parallelism method 'synk' (did you mean 'sync'?)");
  EXPECT_EQ(load_error(kHeader + "[matrix]\nparallelism = [{method = \"synk\"}]\n", 4, 26),
            "unknown parallelism method 'synk' (did you mean 'sync'?)");
  EXPECT_EQ(load_error(kHeader + "[base]\nsparsification = \"topk\"\n", 4, 18),
            "unknown sparsification method 'topk' (methods: none, bibd, random, group)");
  EXPECT_EQ(load_error(kHeader + "[base]\nparallelism = {method = 3}\n", 4, 25),
            "parallelism method = 3 is not a string");
}

TEST(matrix_sweep_errors, UnknownAxisParametersPointAtTheKey) {
  EXPECT_EQ(load_error(kHeader + "[matrix]\nparallelism = [{method = \"sync\", ratio = 0.1}]\n", 4, 34),
            "'sync' takes no parameter 'ratio' (it has no parameters)");
}

TEST(matrix_sweep_errors, OldInlineTablesThatBundleSettingsPointToZip) {
  EXPECT_EQ(load_error(kHeader + "[matrix]\nparallelism = [{parallelism = \"sync\", ranks = 2}]\n", 4, 16),
            "parallelism = {parallelism = \"sync\", ranks = 2} has no method; write e.g. {method = \"single\"} "
            "(to set other settings together with this axis, use [[zip]])");
  EXPECT_EQ(load_error(kHeader + "[matrix]\nparallelism = [7]\n", 4, 16),
            "parallelism = 7 is not a method name or a {method = ...} table");
}

TEST(matrix_sweep_errors, CombinationBreakingACrossRuleNamesTheRunAndTheMatrixValue) {
  EXPECT_EQ(load_error(kHeader + "[base]\nranks = 2\n[matrix]\nparallelism = [\"sync\", \"single\"]\n", 6, 24),
            "run {parallelism = \"single\"}: parallelism = \"single\" runs one process but ranks = 2; "
            "use ranks = 1 or parallelism = \"sync\"");
  EXPECT_EQ(load_error(kHeader + "[base]\nnesterov = true\nmomentum = 0.0\n", 4, 12),
            "nesterov = true needs momentum > 0, got momentum = 0.0");
}

TEST(matrix_sweep_errors, DuplicateRunsNameBothCombinations) {
  const std::string message = load_error(kHeader + "[matrix]\nmodel = [\"mlp\", \"lenet\", \"mlp\"]\n", 4, 26);
  EXPECT_EQ(message.rfind("runs {model = \"mlp\"} and {model = \"mlp\"} have the same settings (run key ", 0), 0u)
      << message;
  EXPECT_EQ(load_error("[sweep]\nname = \"d\"\nrepeats = 2\n[matrix]\nseed = [1, 2]\n", 5, 12)
                .rfind("runs {seed = 1} repeat 1 and {seed = 2} repeat 0 have the same settings", 0),
            0u);
}

TEST(matrix_sweep_errors, TooManyRunsNameTheAxisThatPassesTheLimit) {
  const std::string twenty = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]\n";
  EXPECT_EQ(load_error(kHeader + "[matrix]\nepochs = " + twenty + "batch_size = " + twenty + "seed = " + twenty +
                           "lr_step_epochs = " + twenty,
                       7, 19),
            "[matrix] lr_step_epochs takes the sweep past 100000 runs");
}

TEST(matrix_sweep_errors, SweepTableProblems) {
  EXPECT_EQ(load_error("[base]\nepochs = 2\n", 1, 1), "missing the [sweep] table, e.g. [sweep] name = \"quickstart\"");
  EXPECT_EQ(load_error("[sweep]\nrepeats = 2\n", 1, 1), "[sweep] needs a name, e.g. name = \"quickstart\"");
  EXPECT_EQ(load_error("[sweep]\nname = \"my sweep\"\n", 2, 8),
            "[sweep] name = \"my sweep\" must be a string of letters, digits, '_', '.' and '-', at most 100 long");
  EXPECT_EQ(load_error("[sweep]\nname = \"" + std::string(101, 'n') + "\"\n", 2, 8),
            "[sweep] name = \"" + std::string(59, 'n') + "... (103 characters) must be a string of letters, digits, "
            "'_', '.' and '-', at most 100 long");
  EXPECT_EQ(load_error(kHeader + "repeats = 0\n", 3, 11), "[sweep] repeats = 0 must be an integer from 1 to 100000");
  EXPECT_EQ(load_error("[sweep]\nnmae = \"x\"\n", 2, 1), "unknown key 'nmae' in [sweep] (did you mean 'name'?)");
  EXPECT_EQ(load_error("[sweep]\nzzzzzz = 1\n", 2, 1),
            "unknown key 'zzzzzz' in [sweep] (it takes name, repeats and seeds)");
}

TEST(matrix_sweep_file, SeedsRunEveryCombinationOncePerSeed) {
  const Sweep sweep = load_text("[sweep]\nname = \"s\"\nseeds = [1, 7, 42]\n[matrix]\nmodel = [\"mlp\", \"lenet\"]\n");
  EXPECT_EQ(sweep.repeats, 3);
  EXPECT_EQ(sweep.varying, (std::vector<std::string>{"model", "seed"}));
  EXPECT_EQ(values_of(sweep, "seed"), (std::vector<std::string>{"1", "7", "42", "1", "7", "42"}));
  std::vector<int> repeats;
  for (const auto& run : sweep.runs) repeats.push_back(run.repeat);
  EXPECT_EQ(repeats, (std::vector<int>{0, 1, 2, 0, 1, 2}));
}

TEST(matrix_sweep_file, OneSeedIsNotVarying) {
  const Sweep sweep = load_text("[sweep]\nname = \"s\"\nseeds = [5]\n");
  EXPECT_EQ(values_of(sweep, "seed"), (std::vector<std::string>{"5"}));
  EXPECT_TRUE(sweep.varying.empty());
}

TEST(matrix_sweep_errors, SeedsProblems) {
  EXPECT_EQ(load_error(kHeader + "repeats = 2\nseeds = [1, 2]\n", 4, 1),
            "[sweep] has both repeats (line 3) and seeds (line 4); keep one");
  EXPECT_EQ(load_error(kHeader + "seeds = [1, 2]\nrepeats = 2\n", 4, 1),
            "[sweep] has both repeats (line 4) and seeds (line 3); keep one");
  EXPECT_EQ(load_error(kHeader + "seeds = [1, 2]\n[base]\nseed = 3\n", 5, 1),
            "setting 'seed' is in both [sweep] seeds (line 3) and [base]; keep one");
  EXPECT_EQ(load_error(kHeader + "seeds = [1, 2]\n[matrix]\nseed = [3]\n", 5, 1),
            "setting 'seed' is in both [sweep] seeds (line 3) and [matrix]; keep one");
  EXPECT_EQ(load_error(kHeader + "seeds = [1, 2]\n[[zip]]\nseed = [3]\n", 5, 1),
            "setting 'seed' is in both [sweep] seeds (line 3) and [[zip]]; keep one");
  EXPECT_EQ(load_error(kHeader + "seeds = [1, 2]\n[[include]]\nseed = 3\n", 5, 1),
            "setting 'seed' is in both [sweep] seeds (line 3) and [[include]]; keep one");
  EXPECT_EQ(load_error(kHeader + "seeds = 7\n", 3, 9),
            "[sweep] seeds = 7 must be an array of seeds, e.g. seeds = [1, 7, 42]");
  EXPECT_EQ(load_error(kHeader + "seeds = []\n", 3, 9), "[sweep] seeds = [] has no seeds");
  EXPECT_EQ(load_error(kHeader + "seeds = [7, 1, 7]\n", 3, 16), "[sweep] seeds lists seed 7 twice");
  EXPECT_EQ(load_error(kHeader + "seeds = [1, -1]\n", 3, 13), "seed = -1 is out of range: must be >= 0");
}

TEST(matrix_sweep_errors, UnknownTablesAndStrayKeys) {
  EXPECT_EQ(load_error(kHeader + "[bse]\nepochs = 2\n", 3, 2), "unknown table [bse] (did you mean [base]?)");
  EXPECT_EQ(load_error(kHeader + "[[zp]]\nlr = [1]\n", 3, 3), "unknown table [[zp]] (did you mean [[zip]]?)");
  EXPECT_EQ(load_error(kHeader + "[zzzzzz]\n", 3, 2),
            "unknown table [zzzzzz] (a sweep file has [sweep], [launch], [base], [matrix], [[zip]], [[exclude]], "
            "[[include]])");
  EXPECT_EQ(load_error(kHeader + "[zip]\nlr = [1]\n", 3, 2), "zip must be an array of tables, each written [[zip]]");
  EXPECT_EQ(load_error("epochs = 2\n" + kHeader, 1, 1),
            "setting 'epochs' is outside any table; put it under [base] or [matrix]");
  EXPECT_EQ(load_error("lr = [0.1, 0.2]\n" + kHeader, 1, 1),
            "setting 'lr' is outside any table; put it under [base] or [matrix]");
  EXPECT_EQ(load_error(kHeader + "[[base]]\nepochs = 2\n", 3, 3), "base must be a table, written [base]");
}

TEST(matrix_sweep_errors, TomlSyntaxErrorsKeepTheirPosition) {
  const std::string message = load_error(kHeader + "[base]\nepochs = \n", 4, 10);
  EXPECT_NE(message.find("expected"), std::string::npos) << message;
}

TEST(matrix_sweep_errors, MissingFileIsNamed) {
  try {
    load_sweep("/nonexistent/dir/sweep.toml");
    FAIL() << "no SweepError";
  } catch (const SweepError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/dir/sweep.toml: cannot open the sweep file", 0), 0u)
        << e.what();
  }
}

}  // namespace
}  // namespace iddl::matrix
