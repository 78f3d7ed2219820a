// The run spec iddl-train reads (contract 2) and the bounded JSON parsing every reader of outside JSON uses.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "matrix/config.hpp"
#include "matrix/json_text.hpp"
#include "matrix/run_key.hpp"
#include "matrix/run_spec.hpp"
#include "matrix/settings.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

// `depth` nested arrays around 1: "[[[1]]]" for 3.
std::string nested_arrays(int depth) { return std::string(depth, '[') + "1" + std::string(depth, ']'); }

// The message of the std::invalid_argument parse_run_spec throws for `text`, "" when it throws none.
std::string spec_error(const std::string& text) {
  try {
    parse_run_spec(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(matrix_json_text, ParsesUpToTheDepthLimit) {
  EXPECT_EQ(parse_json(nested_arrays(kMaxJsonDepth)).dump(), nested_arrays(kMaxJsonDepth));
  EXPECT_EQ(parse_json(R"({"a": {"b": [1, 2]}})", 3), json::parse(R"({"a": {"b": [1, 2]}})"));
}

TEST(matrix_json_text, RefusesDeeperNestingAndSaysSo) {
  EXPECT_THROW(parse_json(nested_arrays(kMaxJsonDepth + 1)), JsonTextError);
  try {
    parse_json(R"({"a": {"b": [1, 2]}})", 2);
    FAIL() << "3 levels accepted with a limit of 2";
  } catch (const JsonTextError& e) {
    EXPECT_EQ(std::string(e.what()), "JSON nested deeper than 2 levels");
  }
  EXPECT_TRUE(parse_json_or_discarded(nested_arrays(kMaxJsonDepth + 1)).is_discarded());
}

TEST(matrix_json_text, RefusesTextThatIsNotJson) {
  try {
    parse_json("{\"a\": 1");
    FAIL() << "a cut object accepted";
  } catch (const JsonTextError& e) {
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(parse_json_or_discarded("{\"a\": 1").is_discarded());
  EXPECT_TRUE(parse_json_or_discarded("").is_discarded());
}

TEST(matrix_run_spec, ResolvesTheConfigAndKeepsTheGivenFields) {
  const RunSpec spec = parse_run_spec(R"({"sweep": "s", "run_key": "abc", "repeat": 2, "config": {"lr": 0.5}})");
  EXPECT_EQ(spec.sweep, "s");
  EXPECT_EQ(spec.run_key, "abc");
  EXPECT_EQ(spec.repeat, 2);
  EXPECT_EQ(spec.config, resolve_config({{"lr", 0.5}}));
}

TEST(matrix_run_spec, WithoutARunKeyTheConfigsKeyIsUsed) {
  const RunSpec spec = parse_run_spec(R"({"config": {}})");
  EXPECT_EQ(spec.run_key, run_key(resolve_config(json::object())));
  EXPECT_EQ(spec.sweep, "");
  EXPECT_EQ(spec.repeat, 0);
}

// Issue 22, item 5: 50,000 nested arrays in a config value crashed iddl-train (exit 139, no message).
TEST(matrix_run_spec, DeeplyNestedConfigValueIsAClearError) {
  const std::string error = spec_error(R"({"config": {"lr": )" + nested_arrays(50000) + "}}");
  EXPECT_EQ(error, "run spec: JSON nested deeper than 64 levels");
}

TEST(matrix_run_spec, FieldsOfTheWrongTypeAreNamed) {
  EXPECT_EQ(spec_error(R"({"sweep": 3, "config": {}})"), "run spec field \"sweep\" must be a string, got 3");
  EXPECT_EQ(spec_error(R"({"repeat": "x", "config": {}})"), "run spec field \"repeat\" must be an integer, got \"x\"");
  EXPECT_EQ(spec_error(R"({"repeat": -1, "config": {}})"),
            "run spec field \"repeat\" must be an integer >= 0 that fits an int, got -1");
  EXPECT_EQ(spec_error(R"({"run_key": [], "config": {}})"), "run spec field \"run_key\" must be a string, got []");
  EXPECT_EQ(spec_error(R"({"config": []})"), "run spec must be a JSON object with a \"config\" object");
  EXPECT_NE(spec_error(R"({"config": {"lr": "fast"}})").find("run spec config: "), std::string::npos);
  EXPECT_NE(spec_error("{").find("run spec: not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace iddl::matrix
