// Run under `mpirun -np 2`: param_avg, w_param_avg and gossip.
#include <gtest/gtest.h>

#include "core/comm/mpi_communicator.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/trainer.hpp"
#include "core/parallel/gossip_strategy.hpp"
#include "core/parallel/param_avg_strategy.hpp"
#include "core/parallel/sync_strategy.hpp"
#include "tests/core/parallel/strategy_test_support.hpp"

namespace {

using iddl::parallel::AveragingPeriod;
using iddl::testing::plain_sgd;
using iddl::testing::small_mlp;
using iddl::testing::synthetic_data;

// Trains `model` for `epochs` epochs with `strategy`; returns the last epoch's result.
iddl::train::EpochResult train(iddl::models::Model& model, const iddl::data::Dataset& data,
                               const iddl::train::TrainOptions& options, iddl::comm::Communicator& comm,
                               iddl::train::TrainingHooks& strategy) {
  iddl::train::Trainer trainer(model, options, torch::kCPU, &comm, strategy);
  iddl::train::EpochDriver driver(trainer, data, options, torch::kCPU);
  iddl::train::EpochResult last;
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) last = driver.run_epoch(epoch);
  return last;
}

torch::Tensor weights(iddl::models::Model& model) { return iddl::train::flatten_values(model->parameters()); }

}  // namespace

TEST(AveragingTwoRanks, ParamAvgEveryStepEqualsSync) {
  const auto data = synthetic_data(320, 64);  // a multiple of the global batch: equal shards every step
  iddl::comm::MpiCommunicator comm;
  auto synced = small_mlp(11 + comm.rank());
  iddl::parallel::SyncStrategy sync(comm);
  const auto sync_last = train(synced, data, plain_sgd(2), comm, sync);

  auto averaged = small_mlp(11 + comm.rank());
  iddl::parallel::ParamAvgStrategy param_avg(comm, AveragingPeriod{1, "steps"});
  const auto avg_last = train(averaged, data, plain_sgd(2), comm, param_avg);

  EXPECT_TRUE(torch::allclose(weights(averaged), weights(synced), 1e-4, 1e-5))
      << "max difference " << (weights(averaged) - weights(synced)).abs().max().item<double>();
  EXPECT_NEAR(avg_last.train_loss, sync_last.train_loss, 1e-4);
  EXPECT_EQ(avg_last.comm.bytes_sent, sync_last.comm.bytes_sent);  // one allreduce of the weights per step
}

TEST(AveragingTwoRanks, ParamAvgPerEpochTrainsReplicasApartAndEvaluatesTheirAverage) {
  const auto data = synthetic_data(320, 64);
  iddl::comm::MpiCommunicator comm;
  auto model = small_mlp(5);
  iddl::parallel::ParamAvgStrategy param_avg(comm, AveragingPeriod{2, "epochs"});
  iddl::train::Trainer trainer(model, plain_sgd(2), torch::kCPU, &comm, param_avg);
  iddl::train::EpochDriver driver(trainer, data, plain_sgd(2), torch::kCPU);
  const auto first = driver.run_epoch(1);
  EXPECT_EQ(first.comm.bytes_sent, 0);  // no average yet: the evaluation's average is bookkeeping
  EXPECT_FALSE(iddl::testing::all_ranks_equal(model, comm));
  const auto second = driver.run_epoch(2);
  EXPECT_EQ(second.comm.bytes_sent, iddl::comm::ring_allreduce_bytes(weights(model).numel() * 4, 2));
  EXPECT_TRUE(iddl::testing::all_ranks_equal(model, comm));
}

TEST(AveragingTwoRanks, WeightedAverageLeavesEveryRankWithTheSameWeights) {
  const auto data = synthetic_data(320, 64);
  iddl::comm::MpiCommunicator comm;
  auto model = small_mlp(3 + comm.rank());
  iddl::parallel::WeightedParamAvgStrategy weighted(comm, AveragingPeriod{1, "epochs"}, 1.0);
  const auto last = train(model, data, plain_sgd(2), comm, weighted);
  EXPECT_TRUE(iddl::testing::all_ranks_equal(model, comm));
  // weights and the rank's gamma in one allreduce
  EXPECT_EQ(last.comm.bytes_sent, iddl::comm::ring_allreduce_bytes((weights(model).numel() + 1) * 4, 2));
}

TEST(AveragingTwoRanks, WeightedAverageWithLambdaZeroEqualsParamAvg) {
  const auto data = synthetic_data(320, 64);
  iddl::comm::MpiCommunicator comm;
  auto plain = small_mlp(7);
  iddl::parallel::ParamAvgStrategy param_avg(comm, AveragingPeriod{3, "steps"});
  train(plain, data, plain_sgd(2), comm, param_avg);
  auto weighted = small_mlp(7);
  iddl::parallel::WeightedParamAvgStrategy w_param_avg(comm, AveragingPeriod{3, "steps"}, 0.0);
  train(weighted, data, plain_sgd(2), comm, w_param_avg);
  EXPECT_TRUE(torch::allclose(weights(weighted), weights(plain), 1e-5, 1e-6));
}

TEST(AveragingTwoRanks, GossipLearnsAndSendsTheAnalyticPayload) {
  const auto data = synthetic_data(2048, 512);
  iddl::comm::MpiCommunicator comm;
  auto model = small_mlp(13);
  auto options = plain_sgd(3);
  options.momentum = 0.9;
  iddl::parallel::GossipStrategy gossip(comm, 2, 0.3);
  iddl::train::Trainer trainer(model, options, torch::kCPU, &comm, gossip);
  iddl::train::EpochDriver driver(trainer, data, options, torch::kCPU);
  int64_t sent = 0;
  int64_t received = 0;
  iddl::train::EpochResult last;
  for (int64_t epoch = 1; epoch <= 3; ++epoch) {
    last = driver.run_epoch(epoch);
    sent += last.comm.bytes_sent;
    received += last.comm.bytes_received;
  }
  EXPECT_GT(last.test_accuracy, 0.5);
  const int64_t steps = 3 * 2048 / (16 * 2);
  const int64_t slice = iddl::parallel::GossipStrategy::slice_length(weights(model).numel(), 0.3);
  EXPECT_EQ(sent, steps / 2 * slice * 4);  // one neighbour on 2 ranks
  EXPECT_EQ(received, sent);
}

TEST(AveragingTwoRanks, GossipSliceLength) {
  EXPECT_EQ(iddl::parallel::GossipStrategy::slice_length(10, 1.0), 10);
  EXPECT_EQ(iddl::parallel::GossipStrategy::slice_length(10, 0.25), 3);
  EXPECT_EQ(iddl::parallel::GossipStrategy::slice_length(10, 0.01), 1);
}
