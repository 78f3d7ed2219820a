// Run under `mpirun -np 2`: param_avg, w_param_avg and gossip.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

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

TEST(AveragingTwoRanks, AvgFreqZeroAveragesOnceAfterTheLastEpoch) {
  const auto data = synthetic_data(320, 64);
  iddl::comm::MpiCommunicator comm;
  auto model = small_mlp(5);
  iddl::parallel::ParamAvgStrategy at_end(comm, AveragingPeriod{0, "epochs", 3});
  iddl::train::Trainer trainer(model, plain_sgd(3), torch::kCPU, &comm, at_end);
  iddl::train::EpochDriver driver(trainer, data, plain_sgd(3), torch::kCPU);
  for (int64_t epoch = 1; epoch <= 2; ++epoch) {
    EXPECT_EQ(driver.run_epoch(epoch).comm.bytes_sent, 0) << "epoch " << epoch;  // the evaluations' average is bookkeeping
    EXPECT_FALSE(iddl::testing::all_ranks_equal(model, comm));
  }
  const auto last = driver.run_epoch(3);
  EXPECT_EQ(last.comm.bytes_sent, iddl::comm::ring_allreduce_bytes(weights(model).numel() * 4, 2));
  EXPECT_TRUE(iddl::testing::all_ranks_equal(model, comm));
  EXPECT_THROW(iddl::parallel::ParamAvgStrategy(comm, AveragingPeriod{0, "steps", 3}), std::invalid_argument);
}

namespace {

// One parameter vector: the smallest model the averaging hooks act on.
struct Vector : torch::nn::Module {
  explicit Vector(const torch::Tensor& start) : w(register_parameter("w", start.clone())) {}
  void set(std::vector<float> values) {
    torch::NoGradGuard no_grad;
    w.copy_(torch::tensor(values));
  }
  torch::Tensor w;
};

// Rank r of 2 steps to `values[r]`, then the strategy averages (avg_freq = 1 step).
void step_to(Vector& model, iddl::train::TrainingHooks& strategy, int rank,
             const std::vector<std::vector<float>>& values) {
  model.set(values[static_cast<size_t>(rank)]);
  strategy.after_step(model);
}

// lambda such that gamma = 1/2 at relative distance 1/3: exp(-lambda / 3) = 1/2.
const double kHalfAtOneThird = 3.0 * std::log(2.0);

}  // namespace

TEST(AveragingTwoRanks, SeedWeightingByHand) {
  iddl::comm::MpiCommunicator comm;
  Vector model(torch::tensor({2.0f, 0.0f}));  // rank 0's start weights, broadcast
  iddl::parallel::WeightedParamAvgStrategy seed(comm, AveragingPeriod{1, "steps"}, kHalfAtOneThird,
                                                iddl::parallel::Weighting::Seed);
  seed.on_start(model);
  // First average: gamma = 1 on every rank, so the plain mean.
  step_to(model, seed, comm.rank(), {{1, 0}, {3, 0}});
  EXPECT_TRUE(torch::equal(model.w, torch::tensor({2.0f, 0.0f}))) << model.w;
  // Second: theta_old = (2, 0) on both; rank 0 did not move (gamma 1), rank 1 moved 2 at scale 2 + 4 (gamma 1/2).
  // Rank i keeps gamma_i / (1 + 1/2) * ((2, 0) + (4, 0)): (4, 0) on rank 0, (2, 0) on rank 1.
  step_to(model, seed, comm.rank(), {{2, 0}, {4, 0}});
  const float expected = comm.rank() == 0 ? 4.0f : 2.0f;
  EXPECT_TRUE(torch::allclose(model.w, torch::tensor({expected, 0.0f}), 1e-6, 1e-6)) << model.w;
  // The evaluation puts the plain mean of the replicas in place, (3, 0), and restores the replica after.
  seed.before_evaluation(model);
  EXPECT_TRUE(torch::allclose(model.w, torch::tensor({3.0f, 0.0f}), 1e-6, 1e-6)) << model.w;
  seed.after_evaluation(model);
  EXPECT_TRUE(torch::allclose(model.w, torch::tensor({expected, 0.0f}), 1e-6, 1e-6)) << model.w;
}

TEST(AveragingTwoRanks, NormalizedWeightingByHand) {
  iddl::comm::MpiCommunicator comm;
  Vector model(torch::tensor({2.0f, 0.0f}));
  iddl::parallel::WeightedParamAvgStrategy normalized(comm, AveragingPeriod{1, "steps"}, kHalfAtOneThird);
  normalized.on_start(model);
  // First average against the start weights (2, 0): rank 0 at distance 1, scale 2 + 1 (gamma 1/2); rank 1 at
  // distance 1, scale 2 + 3 (gamma 2^(-3/5)); every rank takes the normalized combination.
  step_to(model, normalized, comm.rank(), {{1, 0}, {3, 0}});
  const double g0 = 0.5, g1 = std::pow(2.0, -0.6);
  const float expected = static_cast<float>((g0 * 1.0 + g1 * 3.0) / (g0 + g1));
  EXPECT_TRUE(torch::allclose(model.w, torch::tensor({expected, 0.0f}), 1e-6, 1e-6)) << model.w;
}

TEST(AveragingTwoRanks, SeedWeightingWithLambdaZeroEqualsParamAvg) {
  const auto data = synthetic_data(320, 64);
  iddl::comm::MpiCommunicator comm;
  auto plain = small_mlp(7 + comm.rank());
  iddl::parallel::ParamAvgStrategy param_avg(comm, AveragingPeriod{3, "steps"});
  train(plain, data, plain_sgd(2), comm, param_avg);
  auto seed = small_mlp(7 + comm.rank());
  iddl::parallel::WeightedParamAvgStrategy w_param_avg(comm, AveragingPeriod{3, "steps"}, 0.0,
                                                       iddl::parallel::Weighting::Seed);
  train(seed, data, plain_sgd(2), comm, w_param_avg);
  EXPECT_TRUE(torch::allclose(weights(seed), weights(plain), 1e-5, 1e-6));
}

TEST(AveragingTwoRanks, SeedWeightingLeavesRanksApart) {
  const auto data = synthetic_data(320, 64);
  iddl::comm::MpiCommunicator comm;
  auto model = small_mlp(3 + comm.rank());
  iddl::parallel::WeightedParamAvgStrategy seed(comm, AveragingPeriod{1, "epochs"}, 1.0,
                                                iddl::parallel::Weighting::Seed);
  train(model, data, plain_sgd(2), comm, seed);
  EXPECT_FALSE(iddl::testing::all_ranks_equal(model, comm));  // each rank scaled by its own gamma
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

TEST(AveragingTwoRanks, GossipBandwidthSliceLength) {
  using iddl::parallel::GossipStrategy;
  // 0.1 x 1 s x 4000 B/s = 400 bytes: 100 entries to one neighbour, 50 to each of two.
  EXPECT_EQ(GossipStrategy::bandwidth_slice_length(1000, 1.0, 4000.0, 1.0, 0.1, 1), 100);
  EXPECT_EQ(GossipStrategy::bandwidth_slice_length(1000, 1.0, 4000.0, 1.0, 0.1, 2), 50);
  EXPECT_EQ(GossipStrategy::bandwidth_slice_length(1000, 0.05, 4000.0, 1.0, 0.1, 1), 50);  // at most share_fraction
  EXPECT_EQ(GossipStrategy::bandwidth_slice_length(1000, 1.0, 1.0, 1.0, 0.1, 1), 1);       // at least one entry
  EXPECT_EQ(GossipStrategy::bandwidth_slice_length(1000, 1.0, std::numeric_limits<double>::infinity(), 0.0, 0.1, 1),
            1000);
}

TEST(AveragingTwoRanks, GossipThroughputWeightsByHand) {
  iddl::comm::MpiCommunicator comm;
  Vector model(torch::tensor({0.0f, 0.0f}));
  iddl::parallel::GossipStrategy gossip(comm, 1, 1.0, {false, 0.1, true});
  gossip.on_start(model);
  // Both ranks train 16 samples; rank 1 takes far longer, so it weighs less.
  gossip.after_backward(model, 16, 32);
  std::this_thread::sleep_for(std::chrono::milliseconds(comm.rank() == 0 ? 20 : 400));
  step_to(model, gossip, comm.rank(), {{1, 0}, {3, 0}});
  torch::Tensor throughputs = torch::zeros({2}, torch::kFloat64);
  throughputs[comm.rank()] = gossip.last_throughput();
  comm.allreduce_sum(throughputs, iddl::comm::Traffic::Bookkeeping);
  const double t0 = throughputs[0].item<double>(), t1 = throughputs[1].item<double>();
  EXPECT_GT(t0, t1);
  const float expected = static_cast<float>((t0 * 1.0 + t1 * 3.0) / (t0 + t1));
  EXPECT_TRUE(torch::allclose(model.w, torch::tensor({expected, 0.0f}), 1e-5, 1e-6)) << model.w << " " << expected;
  EXPECT_LT(expected, 2.0f);
}

TEST(AveragingTwoRanks, GossipBandwidthShareSizesOneSliceForAllRanks) {
  const auto data = synthetic_data(320, 64);
  iddl::comm::MpiCommunicator comm;
  for (const double budget : {1e-9, 1e9}) {
    auto model = small_mlp(17);
    iddl::parallel::GossipStrategy gossip(comm, 1, 1.0, {true, budget, false});
    train(model, data, plain_sgd(1), comm, gossip);
    const int64_t full = weights(model).numel();
    torch::Tensor lengths = torch::zeros({2}, torch::kFloat64);
    lengths[comm.rank()] = static_cast<double>(gossip.last_length());
    comm.allreduce_sum(lengths, iddl::comm::Traffic::Bookkeeping);
    EXPECT_EQ(lengths[0].item<double>(), lengths[1].item<double>()) << "budget " << budget;
    if (budget < 1.0) {
      EXPECT_LT(gossip.last_length(), full / 100) << "a tiny budget sends a tiny slice";
    } else {
      EXPECT_EQ(gossip.last_length(), full) << "a huge budget sends everything share_fraction allows";
    }
  }
}

