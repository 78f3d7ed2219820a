// checkpoint_every and checkpoint_interval_s (docs/checkpoints.md): "auto" by default, an integer N, for every
// strategy.
#include <gtest/gtest.h>

#include "matrix/checkpoint_policy.hpp"
#include "matrix/config.hpp"
#include "tests/matrix/sweep_text.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

TEST(matrix_checkpoint_policy, AutoByDefaultEveryFiveMinutes) {
  const CheckpointPolicy policy = checkpoint_policy(resolve_config(json::object()));
  EXPECT_TRUE(policy.automatic);
  EXPECT_EQ(policy.every, 0);
  EXPECT_EQ(policy.interval_s, 300.0);
  EXPECT_TRUE(policy.enabled());
}

TEST(matrix_checkpoint_policy, AnIntegerKeepsItsMeaning) {
  const CheckpointPolicy every_two = checkpoint_policy(resolve_config({{"checkpoint_every", 2}}));
  EXPECT_FALSE(every_two.automatic);
  EXPECT_EQ(every_two.every, 2);
  EXPECT_TRUE(every_two.enabled());
  EXPECT_FALSE(checkpoint_policy(resolve_config({{"checkpoint_every", 0}})).enabled());
  const CheckpointPolicy often =
      checkpoint_policy(resolve_config({{"checkpoint_every", "auto"}, {"checkpoint_interval_s", 0}}));
  EXPECT_TRUE(often.automatic);
  EXPECT_EQ(often.interval_s, 0.0);
}

TEST(matrix_checkpoint_policy, OtherWordsAndNegativeValuesAreRefused) {
  EXPECT_EQ(resolve_error({{"checkpoint_every", "sometimes"}}),
            "checkpoint_every = \"sometimes\" is not an integer or \"auto\"");
  EXPECT_EQ(resolve_error({{"checkpoint_every", -1}}), "checkpoint_every = -1 is out of range: must be >= 0");
  EXPECT_EQ(resolve_error({{"checkpoint_interval_s", -1.0}}),
            "checkpoint_interval_s = -1.0 is out of range: must be >= 0");
}

TEST(matrix_checkpoint_policy, EveryDataParallelStrategyCanBeCheckpointed) {
  for (const char* parallelism : {"sync", "param_avg", "w_param_avg", "gossip", "downpour", "admm"})
    EXPECT_EQ(resolve_error({{"parallelism", parallelism}, {"ranks", 2}, {"checkpoint_every", 1}}), "") << parallelism;
  for (const char* compression : {"randomk", "terngrad", "qsgd", "powersgd"})
    EXPECT_EQ(resolve_error({{"parallelism", "sync"}, {"ranks", 2}, {"compression", compression},
                             {"checkpoint_every", 1}}),
              "")
        << compression;
}

TEST(matrix_checkpoint_policy, PartitionsAndEnsemblesCanBeCheckpointed) {
  EXPECT_EQ(resolve_error({{"vertical", "partition"}, {"ranks", 2}, {"checkpoint_every", 1}}), "");
  EXPECT_EQ(resolve_error({{"vertical", {{"method", "ensemble"}, {"combine", "linear"}}}, {"ranks", 2},
                           {"checkpoint_every", 1}}),
            "");
}

TEST(matrix_checkpoint_policy, PipelinesAndAdaBoostCanBeCheckpointed) {
  EXPECT_EQ(resolve_error({{"parallelism", "pipeline"}, {"ranks", 2}, {"checkpoint_every", 1}}), "");
  EXPECT_EQ(resolve_error({{"vertical", "adaboost"}, {"epochs", 3}, {"checkpoint_every", 2}}), "");
}

}  // namespace
}  // namespace iddl::matrix
