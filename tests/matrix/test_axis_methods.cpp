// The methods of the IDDL axes: registry, checks, normalization to {method, params} and run keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "matrix/axis_methods.hpp"
#include "matrix/axis_value.hpp"
#include "matrix/config.hpp"
#include "matrix/run_key.hpp"
#include "matrix/settings.hpp"
#include "tests/matrix/sweep_text.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

std::vector<std::string> names_of(const std::vector<AxisMethod>& methods) {
  std::vector<std::string> names;
  for (const auto& m : methods) names.push_back(m.name);
  return names;
}

// A method with parameters, as later axes add them: a top-k sparsifier with a ratio and a minimum count.
AxisMethod topk() {
  Setting ratio{};
  ratio.name = "ratio";
  ratio.kind = Kind::Float;
  ratio.default_value = 0.01;
  ratio.min = 0;
  ratio.min_exclusive = true;
  ratio.max = 1;
  Setting min_count{};
  min_count.name = "min_count";
  min_count.kind = Kind::Int;
  min_count.default_value = 1;
  min_count.min = 1;
  return AxisMethod{"topk", "the largest entries", {ratio, min_count}};
}

TEST(matrix_axis_methods, EveryAxisHasItsMethods) {
  // Which methods exist is the registry's to say (tests/runners/train/test_registries.cpp matches it with the
  // core's factories, documented_methods below with the docs): here, each axis lists its default first, once.
  for (const auto& axis : method_setting_names()) {
    const std::vector<std::string> names = names_of(axis_methods(axis));
    ASSERT_FALSE(names.empty()) << axis;
    EXPECT_EQ(names.front(), find_setting(axis)->default_value.get<std::string>()) << axis;
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size()) << axis;
  }
  EXPECT_TRUE(axis_methods("model").empty());
  for (const auto& axis : method_setting_names()) {
    EXPECT_EQ(find_setting(axis)->kind, Kind::Axis);
    EXPECT_NE(find_axis_method(axis, find_setting(axis)->default_value.get<std::string>()), nullptr) << axis;
    for (const auto& m : axis_methods(axis))
      for (const auto& p : m.params) EXPECT_EQ(check_param_value(m, p, p.default_value), "") << axis << " " << m.name;
  }
  EXPECT_EQ(find_axis_method("parallelism", "sync")->name, "sync");
  EXPECT_EQ(find_axis_method("parallelism", "none"), nullptr);
}

// The (axis, method) rows of the "Axis values" and "Augmentation" tables of docs/sweep-files.md:
// `| `axis` | `method` | ...`.
std::set<std::pair<std::string, std::string>> documented_methods() {
  std::ifstream docs(std::string(IDDL_SOURCE_DIR) + "/docs/sweep-files.md");
  const std::regex row(R"(^\| `(\w+)` \| `(\w+)` \|)");
  const std::vector<std::string> axes = method_setting_names();
  std::set<std::pair<std::string, std::string>> rows;
  std::smatch match;
  for (std::string line; std::getline(docs, line);)
    if (std::regex_search(line, match, row) && std::count(axes.begin(), axes.end(), match[1].str()) > 0)
      rows.emplace(match[1], match[2]);
  return rows;
}

TEST(matrix_axis_methods, DocsListEveryMethodOfTheRegistry) {
  std::set<std::pair<std::string, std::string>> registered;
  for (const auto& axis : method_setting_names())
    for (const auto& m : axis_methods(axis)) registered.emplace(axis, m.name);
  EXPECT_EQ(documented_methods(), registered) << "docs/sweep-files.md, \"Axis values\"";
}

TEST(matrix_axis_methods, NameAndTableResolveToTheSameObjectAndKey) {
  const json by_name = resolve_config({{"parallelism", "sync"}, {"ranks", 2}});
  const json by_table = resolve_config({{"parallelism", {{"method", "sync"}}}, {"ranks", 2}});
  EXPECT_EQ(by_name["parallelism"], (json{{"method", "sync"}}));
  EXPECT_EQ(by_name, by_table);
  EXPECT_EQ(run_key(by_name), run_key(by_table));
  EXPECT_EQ(resolve_config(by_name), by_name);
  EXPECT_EQ(axis_method(by_name["parallelism"]), "sync");
  EXPECT_EQ(axis_label(by_name["parallelism"]), "sync");
}

TEST(matrix_axis_methods, UnknownMethodsGetTheClosestOne) {
  EXPECT_EQ(resolve_error({{"parallelism", "synk"}}), "unknown parallelism method 'synk' (did you mean 'sync'?)");
  EXPECT_EQ(resolve_error({{"parallelism", {{"method", "singel"}}}}),
            "unknown parallelism method 'singel' (did you mean 'single'?)");
  EXPECT_EQ(resolve_error({{"sparsification", "topk"}}),
            "unknown sparsification method 'topk' (methods: none, bibd, random, group)");
}

TEST(matrix_axis_methods, UnknownParametersAreNamed) {
  EXPECT_EQ(resolve_error({{"parallelism", {{"method", "sync"}, {"ratio", 0.1}}}}),
            "'sync' takes no parameter 'ratio' (it has no parameters)");
  EXPECT_EQ(unknown_param_message(topk(), "ratoi"), "'topk' takes no parameter 'ratoi' (did you mean 'ratio'?)");
  EXPECT_EQ(unknown_param_message(topk(), "zzzzzz"),
            "'topk' takes no parameter 'zzzzzz' (its parameters: ratio, min_count)");
}

TEST(matrix_axis_methods, TablesNeedAStringMethod) {
  EXPECT_EQ(resolve_error({{"parallelism", {{"parallelism", "sync"}, {"ranks", 2}}}}),
            "parallelism = {parallelism = \"sync\", ranks = 2} has no method; write e.g. {method = \"single\"} "
            "(to set other settings together with this axis, use [[zip]])");
  EXPECT_EQ(resolve_error({{"parallelism", {{"method", 3}}}}), "parallelism method = 3 is not a string");
  EXPECT_EQ(resolve_error({{"parallelism", 3}}), "parallelism = 3 is not a method name or a {method = ...} table");
  EXPECT_EQ(resolve_error({{"parallelism", json::array({"sync"})}}),
            "parallelism = [\"sync\"] is not a method name or a {method = ...} table");
}

TEST(matrix_axis_methods, ParametersAreCheckedAgainstTheirSpecs) {
  const AxisMethod m = topk();
  EXPECT_EQ(check_method_params(m, {{"method", "topk"}, {"ratio", 0.5}, {"min_count", 3}}), "");
  EXPECT_EQ(check_method_params(m, {{"method", "topk"}, {"ratio", 2.0}}),
            "'topk': ratio = 2.0 is out of range: must be > 0 and <= 1");
  EXPECT_EQ(check_method_params(m, {{"method", "topk"}, {"min_count", 1.5}}),
            "'topk': min_count = 1.5 is not an integer");
  EXPECT_EQ(check_method_params(m, {{"method", "topk"}, {"ration", 0.5}}),
            "'topk' takes no parameter 'ration' (did you mean 'ratio'?)");
}

TEST(matrix_axis_methods, MethodValueFillsEveryParameter) {
  const AxisMethod m = topk();
  EXPECT_EQ(method_value(m, "topk"), (json{{"method", "topk"}, {"ratio", 0.01}, {"min_count", 1}}));
  const json given = method_value(m, {{"method", "topk"}, {"ratio", 1}});
  EXPECT_TRUE(given["ratio"].is_number_float());
  EXPECT_EQ(given, (json{{"method", "topk"}, {"ratio", 1.0}, {"min_count", 1}}));
  EXPECT_EQ(axis_label(given), "topk(min_count=1, ratio=1.0)");
}

TEST(matrix_axis_methods, SettingLabelsShowOnlyParametersOffTheirDefaults) {
  const json topk_value = resolve_config({{"parallelism", "sync"}, {"ranks", 2}, {"compression", {{"method", "topk"}, {"ratio", 0.1}}}})["compression"];
  EXPECT_EQ(setting_label("compression", topk_value), "topk(ratio=0.1)");
  const json defaults = resolve_config({{"parallelism", "sync"}, {"ranks", 2}, {"compression", "topk"}})["compression"];
  EXPECT_EQ(setting_label("compression", defaults), "topk");
  EXPECT_EQ(setting_label("parallelism", resolve_config(json::object())["parallelism"]), "single");
  EXPECT_EQ(setting_label("lr", 0.1), "0.1");
  EXPECT_EQ(setting_label("model", "lenet"), "lenet");
}

}  // namespace
}  // namespace iddl::matrix
