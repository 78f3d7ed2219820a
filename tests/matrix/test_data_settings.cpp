// The settings of what each step trains on: augment (a method setting that is not an IDDL axis) and batch_scope.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
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

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(matrix_augment, IsAMethodSettingButNotAnIddlAxis) {
  EXPECT_EQ(find_setting("augment")->kind, Kind::Axis);
  EXPECT_FALSE(find_setting("augment")->iddl_axis);
  EXPECT_TRUE(contains(method_setting_names(), "augment"));
  EXPECT_FALSE(contains(axis_names(), "augment"));
  for (const std::string& axis : axis_names()) EXPECT_TRUE(contains(method_setting_names(), axis)) << axis;
  EXPECT_EQ(method_setting_names().size(), axis_names().size() + 1);
}

TEST(matrix_augment, ResolvesToTheMethodAndEveryParameter) {
  EXPECT_EQ(resolve_config(json::object())["augment"], (json{{"method", "none"}}));
  const json crop_flip = resolve_config({{"augment", "crop_flip"}})["augment"];
  EXPECT_EQ(crop_flip,
            (json{{"method", "crop_flip"}, {"pad", 4}, {"padding", "reflect"}, {"flip", true}, {"cutout", 0}}));
  EXPECT_EQ(axis_label(crop_flip), "crop_flip(cutout=0, flip=true, pad=4, padding=reflect)");
  const json digits =
      resolve_config({{"augment", {{"method", "crop_flip"}, {"pad", 2}, {"padding", "zeros"}, {"flip", false}}}});
  EXPECT_EQ(digits["augment"]["padding"], "zeros");
  EXPECT_EQ(digits["augment"]["flip"], false);
  EXPECT_EQ(resolve_config({{"augment", {{"method", "crop_flip"}, {"cutout", 8}}}})["augment"]["cutout"], 8);
}

TEST(matrix_augment, BadValuesAreNamed) {
  EXPECT_EQ(resolve_error({{"augment", "crop"}}), "unknown augment method 'crop' (did you mean 'crop_flip'?)");
  EXPECT_EQ(resolve_error({{"augment", {{"method", "crop_flip"}, {"padding", "mirror"}}}}),
            "'crop_flip': padding = \"mirror\" is not one of reflect, zeros");
  EXPECT_EQ(resolve_error({{"augment", {{"method", "crop_flip"}, {"cutout", 29}}}}),
            "'crop_flip': cutout = 29 is out of range: must be >= 0 and <= 28");
  EXPECT_EQ(resolve_error({{"augment", {{"method", "crop_flip"}, {"pad", 28}}}}),
            "'crop_flip': pad = 28 is out of range: must be >= 0 and <= 27");
  EXPECT_EQ(resolve_error({{"augment", {{"method", "none"}, {"pad", 4}}}}),
            "'none' takes no parameter 'pad' (it has no parameters)");
}

TEST(matrix_augment, TheDefaultLeavesRunKeysAsTheyWere) {
  const json before = {{"model", "lenet"}, {"lr", 0.1}};
  EXPECT_EQ(run_key(resolve_config(before)), run_key(before));
  EXPECT_EQ(run_key(resolve_config({{"model", "lenet"}, {"lr", 0.1}, {"augment", "none"}})), run_key(before));
  EXPECT_NE(run_key(resolve_config({{"model", "lenet"}, {"lr", 0.1}, {"augment", "crop_flip"}})), run_key(before));
  EXPECT_EQ(run_key(resolve_config({{"augment", "crop_flip"}})),
            run_key(resolve_config({{"augment", {{"method", "crop_flip"}, {"pad", 4}}}})));
}

TEST(matrix_batch_scope, DefaultsToRankAndTakesGlobal) {
  EXPECT_EQ(resolve_config(json::object())["batch_scope"], "rank");
  EXPECT_EQ(resolve_error({{"batch_scope", "global"}, {"parallelism", "sync"}, {"ranks", 3}, {"batch_size", 64}}), "");
  EXPECT_EQ(resolve_error({{"batch_scope", "world"}}), "batch_scope = \"world\" is not one of rank, global");
  EXPECT_EQ(resolve_error({{"batch_scope", "globl"}}),
            "batch_scope = \"globl\" is not one of rank, global (did you mean \"global\"?)");
}

TEST(matrix_batch_scope, GlobalNeedsASampleForEveryDataShard) {
  EXPECT_EQ(resolve_error({{"batch_scope", "global"}, {"parallelism", "sync"}, {"ranks", 4}, {"batch_size", 3}}),
            "batch_scope = \"global\" splits batch_size = 3 over 4 data shards (4 ranks, parallelism = \"sync\"): "
            "each needs at least one sample; use batch_size >= 4");
  EXPECT_EQ(resolve_error({{"batch_scope", "global"}, {"parallelism", "sync"}, {"ranks", 4}, {"batch_size", 4}}), "");
  EXPECT_EQ(resolve_error({{"batch_scope", "rank"}, {"parallelism", "sync"}, {"ranks", 4}, {"batch_size", 3}}), "");
  // downpour's server trains nothing: its workers are the shards.
  EXPECT_EQ(resolve_error({{"batch_scope", "global"}, {"parallelism", "downpour"}, {"ranks", 3}, {"batch_size", 2}}),
            "");
  EXPECT_NE(resolve_error({{"batch_scope", "global"}, {"parallelism", "downpour"}, {"ranks", 3}, {"batch_size", 1}}),
            "");
  // a vertical split gives every rank the same batches: one shard.
  EXPECT_EQ(resolve_error({{"batch_scope", "global"}, {"vertical", "partition"}, {"ranks", 4}, {"batch_size", 1}}), "");
}

TEST(matrix_batch_scope, GlobalPipelinesSplitTheBatchOverThePipelines) {
  const json two_pipelines = {{"method", "pipeline"}, {"stages", 2}, {"chunks", 4}};
  EXPECT_EQ(resolve_error({{"batch_scope", "global"}, {"parallelism", two_pipelines}, {"ranks", 4}, {"batch_size", 8}}),
            "");
  EXPECT_EQ(resolve_error({{"batch_scope", "global"}, {"parallelism", two_pipelines}, {"ranks", 4}, {"batch_size", 7}}),
            "parallelism \"pipeline\" needs batch_size / pipelines >= chunks = 4 with batch_scope = \"global\", got "
            "batch_size = 7 over 2 pipelines");
  // one pipeline: its batch is already the whole step's.
  EXPECT_EQ(resolve_error({{"batch_scope", "global"}, {"parallelism", "pipeline"}, {"ranks", 4}, {"batch_size", 4}}),
            "");
}

}  // namespace
}  // namespace iddl::matrix
