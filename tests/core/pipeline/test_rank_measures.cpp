// A rank's pipeline measures survive the allgather's tensor, and the run metrics name each stage's and
// boundary's measures from the right rank.
#include <gtest/gtest.h>

#include <stdexcept>

#include "core/pipeline/rank_measures.hpp"

namespace iddl::pipeline {
namespace {

// Distinct measures for stage `k`: every field a different value.
RankMeasures measures_of_stage(int k) {
  RankMeasures m;
  m.stage = {3, 2.0 + k, 1.0 + k, 2 + k, 1000 * (k + 1)};
  m.previous = {10 + k, 40 + k, 20 + k, 1, 2, 0.5, 0.25 * (k + 1)};
  m.next = {30 + k, 80 + k, 50 + k, 3, 4, 0.75, 0.125 * (k + 1)};
  m.stage.update_seconds = 0.5 * (k + 1);
  m.previous.codec_seconds = 0.0625;
  m.next.codec_seconds = 0.03125 * (k + 1);
  return m;
}

TEST(RankMeasures, RoundTripThroughATensor) {
  const RankMeasures m = measures_of_stage(1);
  EXPECT_TRUE(torch::equal(RankMeasures::from_tensor(m.to_tensor()).to_tensor(), m.to_tensor()));
  EXPECT_EQ(RankMeasures::from_tensor(m.to_tensor()).next.dense_bytes_sent, 81);
  EXPECT_THROW(RankMeasures::from_tensor(torch::zeros({3}, torch::kFloat64)), std::invalid_argument);
}

TEST(RankMeasures, MetricsNameEachStageAndBoundary) {
  // Two pipelines of two stages: world ranks 0, 1 are pipeline 0.
  const std::vector<RankMeasures> ranks{measures_of_stage(0), measures_of_stage(1), measures_of_stage(0),
                                        measures_of_stage(1)};
  const auto m = pipeline_metrics(ranks, {{0, 2}, {2, 3}}, {0, 1}, 4);
  EXPECT_EQ(m.at("pipeline_stages"), 2.0);
  EXPECT_EQ(m.at("pipeline_replicas"), 2.0);
  EXPECT_EQ(m.at("ideal_efficiency"), ideal_efficiency(2, 4));
  EXPECT_DOUBLE_EQ(m.at("pipeline_efficiency"), (1.0 + 2.0 + 1.0 + 2.0) / (2.0 + 3.0 + 2.0 + 3.0));
  EXPECT_DOUBLE_EQ(m.at("boundary_compression_ratio"), (2 * (30 + 10) + 2 * (31 + 11)) / (2.0 * (120 + 122)));
  EXPECT_EQ(m.at("stage_first.1"), 2.0);
  EXPECT_EQ(m.at("peak_live_micro_batches.1"), 3.0);
  EXPECT_EQ(m.at("peak_activation_bytes.0"), 1000.0);
  EXPECT_EQ(m.at("boundary.1.forward_bytes"), 30.0);   // stage 0 sent its activations
  EXPECT_EQ(m.at("boundary.1.backward_bytes"), 11.0);  // stage 1 sent its gradients
  EXPECT_EQ(m.at("boundary.1.forward_recv_s"), 0.5);
  EXPECT_EQ(m.at("boundary.1.backward_recv_s"), 0.125);
  EXPECT_EQ(m.at("boundary.1.forward_bandwidth_Bps"), 21.0 / 0.5);
  EXPECT_EQ(m.at("boundary.1.backward_bandwidth_Bps"), 50.0 / 0.125);
  EXPECT_EQ(m.count("boundary.0.forward_bytes"), 0u);
  EXPECT_EQ(m.at("step_seconds.1"), 3.0);
  EXPECT_EQ(m.at("compute_seconds.1"), 2.0);
  EXPECT_EQ(m.at("receive_seconds.1"), 0.5 + 0.25);   // both boundaries' waits
  EXPECT_EQ(m.at("codec_seconds.1"), 0.0625 + 0.0625);
  EXPECT_EQ(m.at("update_seconds.1"), 1.0);
  EXPECT_EQ(m.at("update_seconds.0"), 0.5);
}

TEST(RankMeasures, FirstAndLastBoundariesComeFromBothSidesOfRankOne) {
  // Groups 0 and 2 on rank 0, group 1 on rank 1: boundary 1 is rank 0's next side and rank 1's previous;
  // boundary 2 rank 1's next side and rank 0's previous.
  const std::vector<RankMeasures> ranks{measures_of_stage(0), measures_of_stage(1)};
  const auto m = pipeline_metrics(ranks, {{0, 1}, {1, 2}, {2, 3}}, {0, 1, 0}, 4);
  EXPECT_EQ(m.at("pipeline_stages"), 2.0);
  EXPECT_EQ(m.at("pipeline_replicas"), 1.0);
  EXPECT_EQ(m.at("ideal_efficiency"), first_and_last_ideal_efficiency(4));
  EXPECT_EQ(m.at("stage_first.2"), 2.0);
  EXPECT_EQ(m.count("peak_live_micro_batches.2"), 0u);  // two ranks
  EXPECT_EQ(m.at("boundary.1.forward_bytes"), 30.0);   // rank 0 sent group 0's activations
  EXPECT_EQ(m.at("boundary.1.backward_bytes"), 11.0);  // rank 1 sent group 1's input gradients
  EXPECT_EQ(m.at("boundary.2.forward_bytes"), 31.0);   // rank 1 sent group 1's activations
  EXPECT_EQ(m.at("boundary.2.backward_bytes"), 10.0);  // rank 0 sent group 2's input gradients
  EXPECT_EQ(m.at("boundary.2.forward_recv_s"), 0.25);
  EXPECT_EQ(m.at("boundary.2.backward_recv_s"), 0.25);
  EXPECT_THROW(pipeline_metrics(ranks, {{0, 1}, {1, 3}}, {0, 1, 0}, 4), std::invalid_argument);
}

}  // namespace
}  // namespace iddl::pipeline
