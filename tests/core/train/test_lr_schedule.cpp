#include <gtest/gtest.h>

#include "core/train/lr_schedule.hpp"

using iddl::train::learning_rate;
using iddl::train::TrainOptions;

TEST(LrSchedule, ConstantNeverChanges) {
  TrainOptions o;
  o.lr = 0.1;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 10), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 999, 10), 0.1);
}

TEST(LrSchedule, StepDecaysEveryLrStepEpochs) {
  TrainOptions o;
  o.lr = 1.0;
  o.schedule = "step";
  o.lr_step_epochs = 2;
  o.lr_gamma = 0.5;
  EXPECT_DOUBLE_EQ(learning_rate(o, 19, 10), 1.0);   // epoch 1 (0-based)
  EXPECT_DOUBLE_EQ(learning_rate(o, 20, 10), 0.5);   // epoch 2
  EXPECT_DOUBLE_EQ(learning_rate(o, 45, 10), 0.25);  // epoch 4
}

TEST(LrSchedule, WarmupRisesLinearlyThenDecaysToZero) {
  TrainOptions o;
  o.lr = 1.0;
  o.schedule = "warmup_linear";
  o.epochs = 4;
  o.warmup_epochs = 1;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 10), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 4, 10), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate(o, 9, 10), 1.0);
  EXPECT_NEAR(learning_rate(o, 10, 10), 1.0, 1e-12);        // first of the 30 decay steps (10..39)
  EXPECT_NEAR(learning_rate(o, 25, 10), 15.0 / 30.0, 1e-12);
  EXPECT_NEAR(learning_rate(o, 39, 10), 1.0 / 30.0, 1e-12);
}
