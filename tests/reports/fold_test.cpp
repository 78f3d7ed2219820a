#include "reports/fold.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "reports/format.hpp"

namespace iddl::reports {
namespace {

using nlohmann::json;

TEST(reports_fold, VaryingSettingsIgnoreSeedAndListAxesFirst) {
  const std::vector<json> configs = {
      {{"zeta", 1}, {"model", "mlp"}, {"parallelism", "sync"}, {"seed", 1}, {"lr", 0.1}, {"compression", "none"}},
      {{"zeta", 2}, {"model", "cnn"}, {"parallelism", "single"}, {"seed", 2}, {"lr", 0.1}, {"compression", "none"}},
      {{"zeta", 2}, {"model", "cnn"}, {"parallelism", "single"}, {"seed", 3}, {"lr", 0.1}, {"compression", "none"},
       {"alpha", true}},
  };
  EXPECT_EQ(varying_settings(configs), (std::vector<std::string>{"parallelism", "model", "alpha", "zeta"}));
}

TEST(reports_fold, NothingVariesAmongOneConfigOrNone) {
  EXPECT_TRUE(varying_settings({{{"model", "mlp"}, {"seed", 1}}}).empty());
  EXPECT_TRUE(varying_settings({}).empty());
}

TEST(reports_fold, FoldKeyIgnoresOnlyTheSeed) {
  const json a = {{"model", "mlp"}, {"seed", 1}};
  const json b = {{"seed", 2}, {"model", "mlp"}};
  const json c = {{"model", "cnn"}, {"seed", 1}};
  EXPECT_EQ(fold_key(a), fold_key(b));
  EXPECT_NE(fold_key(a), fold_key(c));
}

TEST(reports_fold, SettingCells) {
  const json config = {{"model", "mlp"}, {"lr", 0.05}, {"ranks", 4}};
  EXPECT_EQ(setting_cell(config, "model"), "mlp");
  EXPECT_EQ(setting_cell(config, "lr"), "0.05");
  EXPECT_EQ(setting_cell(config, "ranks"), "4");
  EXPECT_EQ(setting_cell(config, "missing"), "");
}

TEST(reports_fold, AxisObjectsVaryByMethodAndParameters) {
  const json topk_small = {{"method", "topk"}, {"ratio", 0.01}};
  const json topk_large = {{"method", "topk"}, {"ratio", 0.1}};
  const std::vector<json> configs = {
      {{"sparsification", topk_small}, {"parallelism", {{"method", "sync"}}}, {"seed", 1}},
      {{"sparsification", topk_large}, {"parallelism", {{"method", "sync"}}}, {"seed", 2}},
  };
  EXPECT_EQ(varying_settings(configs), (std::vector<std::string>{"sparsification"}));
  EXPECT_NE(fold_key(configs[0]), fold_key(configs[1]));
}

TEST(reports_fold, AnAxisAsAPlainMethodNameEqualsItsObjectForm) {
  const json plain = {{"parallelism", "sync"}, {"model", "mlp"}, {"seed", 1}};
  const json object = {{"parallelism", {{"method", "sync"}}}, {"model", "mlp"}, {"seed", 2}};
  EXPECT_EQ(canonical_setting(plain, "parallelism"), (json{{"method", "sync"}}));
  EXPECT_EQ(canonical_setting(plain, "model"), "mlp");  // not an axis: kept as a string
  EXPECT_TRUE(canonical_setting(plain, "missing").is_null());
  EXPECT_EQ(fold_key(plain), fold_key(object));
  EXPECT_TRUE(varying_settings({plain, object}).empty());
  EXPECT_EQ(canonical_settings(plain), (json{{"parallelism", {{"method", "sync"}}}, {"model", "mlp"}}));
}

TEST(reports_fold, AxisCellsAreLabels) {
  const json config = {{"sparsification", {{"method", "topk"}, {"ratio", 0.01}}},
                       {"parallelism", {{"method", "sync"}}},
                       {"compression", "none"}};
  EXPECT_EQ(setting_cell(config, "sparsification"), "topk(ratio=0.01)");
  EXPECT_EQ(setting_cell(config, "parallelism"), "sync");
  EXPECT_EQ(setting_cell(config, "compression"), "none");
  EXPECT_EQ(value_cell(nullptr), "");
  EXPECT_EQ(value_cell(json::array({1, 2})), "[1,2]");
}

TEST(reports_fold, ReportOrderPutsAxesFirstThenTheRestByName) {
  EXPECT_EQ(in_report_order({"zeta", "lr", "alpha", "model", "compression", "sparsification"}),
            (std::vector<std::string>{"sparsification", "compression", "model", "lr", "alpha", "zeta"}));
}

TEST(reports_fold, SpreadIsMeanAndSampleStd) {
  const Spread folded = spread({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_DOUBLE_EQ(folded.mean, 5.0);
  EXPECT_DOUBLE_EQ(folded.std, std::sqrt(32.0 / 7.0));
  EXPECT_EQ(spread({3}).std, 0.0);
}

TEST(reports_fold, SpreadCells) {
  EXPECT_EQ(spread_cell({}, format_percent), "");
  EXPECT_EQ(spread_cell({0.5}, format_percent), "50.00%");
  EXPECT_EQ(spread_cell({0.5, 0.5}, format_percent), "50.00%");
  EXPECT_EQ(spread_cell({0.8, 0.9}, format_percent), "85.00% ± 7.07%");
}

}  // namespace
}  // namespace iddl::reports
