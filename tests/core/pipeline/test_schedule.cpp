// The pipeline schedules as orders of work: every micro-batch forwarded once, then backwarded once;
// fill-drain holds all of them, 1F1B at most as many as the stages after this one plus one.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "core/pipeline/schedule.hpp"

namespace iddl::pipeline {
namespace {

using Kind = PipelineOp::Kind;

// Checks that `ops` forwards each of `chunks` micro-batches once, in order, and backwards each once after its forward.
void expect_complete(const std::vector<PipelineOp>& ops, int64_t chunks) {
  std::vector<int> forwarded(static_cast<size_t>(chunks), 0), backwarded(static_cast<size_t>(chunks), 0);
  int64_t next_forward = 0;
  for (const PipelineOp& op : ops) {
    ASSERT_GE(op.micro_batch, 0);
    ASSERT_LT(op.micro_batch, chunks);
    const auto i = static_cast<size_t>(op.micro_batch);
    if (op.kind == Kind::Forward) {
      EXPECT_EQ(op.micro_batch, next_forward++);
      ++forwarded[i];
    } else {
      EXPECT_EQ(forwarded[i], 1) << "backward of " << i << " before its forward";
      ++backwarded[i];
    }
  }
  for (int64_t i = 0; i < chunks; ++i) {
    EXPECT_EQ(forwarded[static_cast<size_t>(i)], 1);
    EXPECT_EQ(backwarded[static_cast<size_t>(i)], 1);
  }
}

TEST(pipeline_schedule, EverySchedulePassesEveryMicroBatchOnceEachWay) {
  for (const char* schedule : {"fill_drain", "1f1b"})
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

TEST(pipeline_schedule, IdealEfficiencyIsGpipesBubble) {
  EXPECT_DOUBLE_EQ(ideal_efficiency(1, 4), 1.0);
  EXPECT_DOUBLE_EQ(ideal_efficiency(2, 1), 0.5);
  EXPECT_DOUBLE_EQ(ideal_efficiency(2, 8), 8.0 / 9.0);
  EXPECT_DOUBLE_EQ(ideal_efficiency(4, 4), 4.0 / 7.0);
}

TEST(pipeline_schedule, RankOpsOfOneGroupPerRankAreTheStageSchedule) {
  const std::vector<int> contiguous{0, 1, 2};
  for (const char* schedule : {"fill_drain", "1f1b"})
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
