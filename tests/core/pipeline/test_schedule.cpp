// The pipeline schedules as orders of work: every micro-batch forwarded once, then backwarded once;
// fill-drain holds all of them, 1F1B at most as many as the stages after this one plus one; zb_h1 (zero bubble)
// splits each backward into an input pass and a weight pass, stage s deferring s weight passes.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "core/pipeline/schedule.hpp"

namespace iddl::pipeline {
namespace {

using Kind = PipelineOp::Kind;

// Checks that `ops` forwards each of `chunks` micro-batches once, in order, and backwards each once after its
// forward: in one Backward, or (zb_h1) in a BackwardInput after the forward and a BackwardWeight after that,
// the weight passes oldest first.
void expect_complete(const std::vector<PipelineOp>& ops, int64_t chunks) {
  std::vector<int> forwarded(static_cast<size_t>(chunks), 0), backwarded(static_cast<size_t>(chunks), 0);
  std::vector<int> inputs(static_cast<size_t>(chunks), 0), weights(static_cast<size_t>(chunks), 0);
  int64_t next_forward = 0, next_weight = 0;
  for (const PipelineOp& op : ops) {
    ASSERT_GE(op.micro_batch, 0);
    ASSERT_LT(op.micro_batch, chunks);
    const auto i = static_cast<size_t>(op.micro_batch);
    switch (op.kind) {
      case Kind::Forward:
        EXPECT_EQ(op.micro_batch, next_forward++);
        ++forwarded[i];
        break;
      case Kind::Backward:
        EXPECT_EQ(forwarded[i], 1) << "backward of " << i << " before its forward";
        ++backwarded[i];
        break;
      case Kind::BackwardInput:
        EXPECT_EQ(forwarded[i], 1) << "input gradient of " << i << " before its forward";
        ++inputs[i];
        break;
      case Kind::BackwardWeight:
        EXPECT_EQ(inputs[i], 1) << "weight gradient of " << i << " before its input gradient";
        EXPECT_EQ(op.micro_batch, next_weight++) << "weight gradients out of micro-batch order";
        ++weights[i];
        break;
    }
  }
  for (size_t i = 0; i < static_cast<size_t>(chunks); ++i) {
    EXPECT_EQ(forwarded[i], 1);
    EXPECT_EQ(inputs[i], weights[i]) << "micro-batch " << i;
    EXPECT_EQ(backwarded[i] + weights[i], 1) << "micro-batch " << i << " not backwarded exactly once";
  }
}

TEST(pipeline_schedule, EverySchedulePassesEveryMicroBatchOnceEachWay) {
  for (const char* schedule : {"fill_drain", "1f1b", "zb_h1"})
    for (int64_t stages = 1; stages <= 4; ++stages)
      for (int64_t stage = 0; stage < stages; ++stage)
        for (int64_t chunks : {1, 2, 3, 4, 8}) {
          SCOPED_TRACE(std::string(schedule) + " stage " + std::to_string(stage) + "/" + std::to_string(stages) +
                       ", " + std::to_string(chunks) + " chunks");
          expect_complete(schedule_ops(schedule, stage, stages, chunks), chunks);
        }
}

TEST(pipeline_schedule, FillDrainForwardsAllThenBackwardsInReverse) {
  const std::vector<PipelineOp> expected{{Kind::Forward, 0}, {Kind::Forward, 1}, {Kind::Forward, 2},
                                         {Kind::Backward, 2}, {Kind::Backward, 1}, {Kind::Backward, 0}};
  EXPECT_EQ(schedule_ops("fill_drain", 0, 2, 3), expected);
}

TEST(pipeline_schedule, OneForwardOneBackwardAfterTheWarmUp) {
  // Stage 0 of 3, 4 micro-batches: 2 warm-up forwards, then F2 B0 F3 B1, then B2 B3.
  const std::vector<PipelineOp> first{{Kind::Forward, 0},  {Kind::Forward, 1},  {Kind::Forward, 2},
                                      {Kind::Backward, 0}, {Kind::Forward, 3},  {Kind::Backward, 1},
                                      {Kind::Backward, 2}, {Kind::Backward, 3}};
  EXPECT_EQ(schedule_ops("1f1b", 0, 3, 4), first);
  // The last stage never waits: F0 B0 F1 B1 ...
  const std::vector<PipelineOp> last{{Kind::Forward, 0}, {Kind::Backward, 0}, {Kind::Forward, 1}, {Kind::Backward, 1}};
  EXPECT_EQ(schedule_ops("1f1b", 2, 3, 2), last);
}

TEST(pipeline_schedule, OneFOneBHoldsAtMostTheStagesAheadPlusOne) {
  for (int64_t chunks : {1, 4, 8, 16})
    for (int64_t stage = 0; stage < 4; ++stage) {
      EXPECT_EQ(peak_live_micro_batches(schedule_ops("fill_drain", stage, 4, chunks)), chunks);
      EXPECT_EQ(peak_live_micro_batches(schedule_ops("1f1b", stage, 4, chunks)), std::min<int64_t>(4 - stage, chunks));
    }
}

TEST(pipeline_schedule, ZeroBubbleH1OfTwoStagesSendsInputGradientsFirstAndDefersOneWeightPass) {
  const auto F = [](int64_t i) { return PipelineOp{Kind::Forward, i}; };
  const auto B = [](int64_t i) { return PipelineOp{Kind::BackwardInput, i}; };
  const auto W = [](int64_t i) { return PipelineOp{Kind::BackwardWeight, i}; };
  // Stage 0 (1F1B's order, each weight pass right after its input pass: it defers none).
  EXPECT_EQ(schedule_ops("zb_h1", 0, 2, 4),
            (std::vector<PipelineOp>{F(0), F(1), B(0), W(0), F(2), B(1), W(1), F(3), B(2), W(2), B(3), W(3)}));
  // Stage 1 (the last) defers one weight pass: its weight passes fill the time stage 0 spends on the backward.
  EXPECT_EQ(schedule_ops("zb_h1", 1, 2, 4),
            (std::vector<PipelineOp>{F(0), B(0), F(1), B(1), W(0), F(2), B(2), W(1), F(3), B(3), W(2), W(3)}));
  EXPECT_EQ(schedule_ops("zb_h1", 0, 2, 1), (std::vector<PipelineOp>{F(0), B(0), W(0)}));
  EXPECT_EQ(schedule_ops("zb_h1", 1, 2, 1), (std::vector<PipelineOp>{F(0), B(0), W(0)}));
  EXPECT_EQ(schedule_ops("zb_h1", 0, 2, 2), (std::vector<PipelineOp>{F(0), F(1), B(0), W(0), B(1), W(1)}));
  EXPECT_EQ(schedule_ops("zb_h1", 1, 2, 2), (std::vector<PipelineOp>{F(0), B(0), F(1), B(1), W(0), W(1)}));
  // Three stages, 4 micro-batches: stage s defers s weight passes.
  EXPECT_EQ(schedule_ops("zb_h1", 0, 3, 4),
            (std::vector<PipelineOp>{F(0), F(1), F(2), B(0), W(0), F(3), B(1), W(1), B(2), W(2), B(3), W(3)}));
  EXPECT_EQ(schedule_ops("zb_h1", 1, 3, 4),
            (std::vector<PipelineOp>{F(0), F(1), B(0), F(2), B(1), W(0), F(3), B(2), W(1), B(3), W(2), W(3)}));
  EXPECT_EQ(schedule_ops("zb_h1", 2, 3, 4),
            (std::vector<PipelineOp>{F(0), B(0), F(1), B(1), F(2), B(2), W(0), F(3), B(3), W(1), W(2), W(3)}));
}

TEST(pipeline_schedule, ZeroBubbleH1KeepsOneFOneBsForwardAndInputGradientOrder) {
  // Without its weight passes, and with each input pass read as a backward, zb_h1 is 1F1B: the same messages in
  // the same order, so it cannot deadlock where 1F1B does not.
  for (int64_t stages : {2, 3})
    for (int64_t stage = 0; stage < stages; ++stage)
      for (int64_t chunks : {1, 2, 4}) {
        std::vector<PipelineOp> without_weights;
        for (const PipelineOp& op : schedule_ops("zb_h1", stage, stages, chunks))
          if (op.kind == Kind::Forward) without_weights.push_back(op);
          else if (op.kind == Kind::BackwardInput) without_weights.push_back({Kind::Backward, op.micro_batch});
        EXPECT_EQ(without_weights, schedule_ops("1f1b", stage, stages, chunks))
            << "stage " << stage << " of " << stages << ", " << chunks << " chunks";
      }
}

TEST(pipeline_schedule, ZeroBubbleH1HoldsAtMostTheStagesOnEveryStage) {
  // A micro-batch's activations live until its weight pass: stage s holds its 1F1B count plus the s deferred.
  for (int64_t stages : {2, 3, 4})
    for (int64_t stage = 0; stage < stages; ++stage)
      for (int64_t chunks : {1, 2, 4, 8})
        EXPECT_EQ(peak_live_micro_batches(schedule_ops("zb_h1", stage, stages, chunks)), std::min(stages, chunks))
            << "stage " << stage << " of " << stages << ", " << chunks << " chunks";
}

TEST(pipeline_schedule, IdealEfficiencyIsGpipesBubble) {
  EXPECT_DOUBLE_EQ(ideal_efficiency(1, 4), 1.0);
  EXPECT_DOUBLE_EQ(ideal_efficiency(2, 1), 0.5);
  EXPECT_DOUBLE_EQ(ideal_efficiency(2, 8), 8.0 / 9.0);
  EXPECT_DOUBLE_EQ(ideal_efficiency(4, 4), 4.0 / 7.0);
}

TEST(pipeline_schedule, RankOpsOfOneGroupPerRankAreTheStageSchedule) {
  const std::vector<int> contiguous{0, 1, 2};
  for (const char* schedule : {"fill_drain", "1f1b", "zb_h1"})
    for (int rank = 0; rank < 3; ++rank) {
      std::vector<RankOp> expected;
      for (const PipelineOp& op : schedule_ops(schedule, rank, 3, 4)) expected.push_back({op, rank});
      EXPECT_EQ(rank_ops(schedule, contiguous, rank, 4), expected) << schedule << " rank " << rank;
    }
}

TEST(pipeline_schedule, FirstAndLastRankZeroFillsBothGroupsThenDrainsThemInReverse) {
  // Seed 004's client: every micro-batch through the first group, then through the last; backwards of the last
  // group, then of the first, last micro-batch first.
  const std::vector<int> first_and_last{0, 1, 0};
  const std::vector<RankOp> client{{{Kind::Forward, 0}, 0},  {{Kind::Forward, 1}, 0},  {{Kind::Forward, 0}, 2},
                                   {{Kind::Forward, 1}, 2},  {{Kind::Backward, 1}, 2}, {{Kind::Backward, 0}, 2},
                                   {{Kind::Backward, 1}, 0}, {{Kind::Backward, 0}, 0}};
  EXPECT_EQ(rank_ops("fill_drain", first_and_last, 0, 2), client);
  const std::vector<RankOp> server{{{Kind::Forward, 0}, 1}, {{Kind::Forward, 1}, 1}, {{Kind::Backward, 1}, 1},
                                   {{Kind::Backward, 0}, 1}};
  EXPECT_EQ(rank_ops("fill_drain", first_and_last, 1, 2), server);
  EXPECT_THROW(rank_ops("1f1b", first_and_last, 0, 2), std::invalid_argument);
  EXPECT_THROW(rank_ops("zb_h1", first_and_last, 0, 2), std::invalid_argument);
  EXPECT_THROW(rank_ops("fill_drain", first_and_last, 2, 2), std::invalid_argument);  // a rank with no group
  EXPECT_THROW(rank_ops("fill_drain", first_and_last, 0, 0), std::invalid_argument);
}

TEST(pipeline_schedule, FirstAndLastIdealEfficiency) {
  EXPECT_DOUBLE_EQ(first_and_last_ideal_efficiency(1), 0.5);  // 3 units of work in 3 steps on 2 ranks
  EXPECT_DOUBLE_EQ(first_and_last_ideal_efficiency(2), 0.75);
  EXPECT_DOUBLE_EQ(first_and_last_ideal_efficiency(8), 0.75);
}

TEST(pipeline_schedule, RejectsUnknownSchedulesAndBadCounts) {
  EXPECT_THROW(schedule_ops("interleaved", 0, 2, 4), std::invalid_argument);
  EXPECT_THROW(schedule_ops("1f1b", 2, 2, 4), std::invalid_argument);
  EXPECT_THROW(schedule_ops("1f1b", 0, 2, 0), std::invalid_argument);
}

}  // namespace
}  // namespace iddl::pipeline
