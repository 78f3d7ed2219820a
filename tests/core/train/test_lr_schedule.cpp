#include <gtest/gtest.h>

#include <cmath>

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

// cifar10-fast's and seed 003's ramp (dawn.py: PiecewiseLinear([0, 5, epochs], [0, 0.4, 0]) at step / batches).
TEST(LrSchedule, PiecewiseInterpolatesTheKnotsPerStep) {
  TrainOptions o;
  o.schedule = "piecewise";
  o.epochs = 24;
  o.lr_epochs = {0, 5, 24};
  o.lr_values = {0.0, 0.4, 0.0};
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 10), 0.0);                   // the first knot
  EXPECT_NEAR(learning_rate(o, 1, 10), 0.4 * 0.1 / 5.0, 1e-15);      // epoch 0.1: inside an epoch, not per epoch
  EXPECT_NEAR(learning_rate(o, 25, 10), 0.2, 1e-15);                 // epoch 2.5: half way up
  EXPECT_DOUBLE_EQ(learning_rate(o, 50, 10), 0.4);                   // the middle knot
  EXPECT_NEAR(learning_rate(o, 145, 10), 0.2, 1e-15);                // epoch 14.5: half way down
  EXPECT_NEAR(learning_rate(o, 239, 10), 0.4 * 0.1 / 19.0, 1e-15);   // the last step
  EXPECT_DOUBLE_EQ(learning_rate(o, 240, 10), 0.0);                  // the last knot
}

TEST(LrSchedule, PiecewiseKeepsTheLastValueAfterTheLastKnot) {
  TrainOptions o;
  o.schedule = "piecewise";
  o.lr_epochs = {0, 0.5, 2};
  o.lr_values = {0.1, 0.3, 0.05};
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 4), 0.1);
  EXPECT_NEAR(learning_rate(o, 1, 4), 0.2, 1e-15);  // epoch 0.25, half way to the knot at 0.5
  EXPECT_DOUBLE_EQ(learning_rate(o, 2, 4), 0.3);
  EXPECT_DOUBLE_EQ(learning_rate(o, 8, 4), 0.05);
  EXPECT_DOUBLE_EQ(learning_rate(o, 9, 4), 0.05);
  EXPECT_DOUBLE_EQ(learning_rate(o, 400, 4), 0.05);
}

TEST(LrSchedule, PiecewiseValuesAreAbsoluteLrIsNotUsed) {
  TrainOptions o;
  o.schedule = "piecewise";
  o.lr = 123.0;
  o.lr_epochs = {0, 1};
  o.lr_values = {0.5, 0.5};
  EXPECT_DOUBLE_EQ(learning_rate(o, 3, 10), 0.5);
}

TEST(LrSchedule, CosineWarmsUpLinearlyThenDecaysToZero) {
  TrainOptions o;
  o.lr = 1.0;
  o.schedule = "cosine";
  o.epochs = 5;
  o.warmup_epochs = 1;  // 10 warm-up steps, then 40 steps of cosine
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 10), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 4, 10), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate(o, 9, 10), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(o, 10, 10), 1.0);                           // the decay starts at lr
  EXPECT_NEAR(learning_rate(o, 20, 10), 0.5 * (1 + std::cos(M_PI / 4)), 1e-12);  // a quarter of the decay
  EXPECT_NEAR(learning_rate(o, 30, 10), 0.5, 1e-12);                         // half way: lr / 2
  EXPECT_NEAR(learning_rate(o, 49, 10), 0.5 * (1 + std::cos(M_PI * 39.0 / 40.0)), 1e-12);
  EXPECT_NEAR(learning_rate(o, 50, 10), 0.0, 1e-12);  // the end of the last epoch
}

TEST(LrSchedule, CosineWithoutWarmupStartsAtLr) {
  TrainOptions o;
  o.lr = 0.2;
  o.schedule = "cosine";
  o.epochs = 2;
  o.warmup_epochs = 0;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 10), 0.2);
  EXPECT_NEAR(learning_rate(o, 10, 10), 0.1, 1e-12);
}
