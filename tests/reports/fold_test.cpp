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
