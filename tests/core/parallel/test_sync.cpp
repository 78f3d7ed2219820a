// Run under `mpirun -np 2`: parallel SGD on two ranks equals one rank on the combined batch (SyncOn: on every
// device of tests/support/devices.hpp, through the run's communicator: NCCL for CUDA tensors where it is built).
#include <gtest/gtest.h>

#include "core/comm/make_communicator.hpp"
#include "core/comm/mpi_communicator.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/trainer.hpp"
#include "core/parallel/single_strategy.hpp"
#include "core/parallel/sync_strategy.hpp"
#include "tests/support/devices.hpp"

namespace {

iddl::data::Dataset synthetic_data() {
  iddl::data::DataOptions options;
  options.name = "synthetic";
  options.train_samples = 300;  // not a multiple of the global batch: the last batch is short
  options.test_samples = 64;
  return iddl::data::load_dataset(options);
}

iddl::train::TrainOptions options_with_batch(int64_t batch) {
  iddl::train::TrainOptions options;
  options.epochs = 2;
  options.batch_size = batch;
  options.lr = 0.05;
  options.momentum = 0.9;
  options.nesterov = true;
  options.weight_decay = 1e-4;
  return options;
}

class SyncOn : public iddl::testing::OnDevice {};

}  // namespace

TEST(SyncTwoRanks, CommunicatorSumsBroadcastsAndCountsBytes) {
  iddl::comm::MpiCommunicator comm;
  ASSERT_EQ(comm.size(), 2);
  torch::Tensor values = torch::full({1000}, static_cast<float>(comm.rank() + 1));
  comm.allreduce_sum(values, iddl::comm::Traffic::Training);
  EXPECT_TRUE(torch::allclose(values, torch::full({1000}, 3.0f)));
  const auto stats = comm.take_stats();
  EXPECT_EQ(stats.bytes_sent, 4000);  // ring allreduce: 2 (n-1)/n of 4000 bytes
  EXPECT_EQ(stats.bytes_received, 4000);
  EXPECT_GT(stats.seconds, 0.0);
  torch::Tensor root = torch::full({10}, static_cast<double>(comm.rank() + 7), torch::kFloat64);
  comm.broadcast(root, 1, iddl::comm::Traffic::Bookkeeping);
  EXPECT_TRUE(torch::allclose(root, torch::full({10}, 8.0, torch::kFloat64)));
  EXPECT_EQ(comm.take_stats().bytes_sent, 0);  // bookkeeping traffic is not counted
}

TEST_P(SyncOn, EqualsOneRankOnTheCombinedBatch) {
  const auto data = synthetic_data();
  const auto world = iddl::comm::make_communicator();
  iddl::comm::Communicator& comm = *world;

  torch::manual_seed(11 + comm.rank());  // different starts: on_start must make them equal
  auto model = iddl::models::make_model({"mlp", {48, 24}}, {1, 28, 28, 10});
  iddl::parallel::SyncStrategy sync(comm);
  iddl::train::Trainer trainer(model, options_with_batch(16), device(), &comm, sync);
  iddl::train::EpochDriver driver(trainer, data, options_with_batch(16), device());
  driver.run_epoch(1);
  const auto last = driver.run_epoch(2);
  EXPECT_GT(last.comm.bytes_sent, 0);
  EXPECT_GT(last.comm.seconds, 0.0);
  const torch::Tensor distributed = iddl::train::flatten_values(model->parameters());
  EXPECT_EQ(distributed.device(), device());

  torch::Tensor from_rank0 = distributed.clone();
  comm.broadcast(from_rank0, 0, iddl::comm::Traffic::Bookkeeping);
  EXPECT_TRUE(torch::equal(distributed, from_rank0)) << "ranks hold different weights";

  if (comm.rank() == 0) {
    torch::manual_seed(11);
    auto reference = iddl::models::make_model({"mlp", {48, 24}}, {1, 28, 28, 10});
    iddl::parallel::SingleStrategy alone;
    iddl::train::Trainer single(reference, options_with_batch(32), device(), nullptr, alone);
    iddl::train::EpochDriver single_driver(single, data, options_with_batch(32), device());
    single_driver.run_epoch(1);
    const auto single_last = single_driver.run_epoch(2);
    const torch::Tensor expected = iddl::train::flatten_values(reference->parameters());
    EXPECT_TRUE(torch::allclose(distributed, expected, 1e-4, 1e-5))
        << "max difference " << (distributed - expected).abs().max().item<double>();
    EXPECT_NEAR(last.train_loss, single_last.train_loss, 1e-4);
    EXPECT_NEAR(last.test_accuracy, single_last.test_accuracy, 1.0 / 64 + 1e-9);  // one prediction may flip
  }
}

// loss_reduction = "sum" (docs/strategies.md, "Summed losses"): with equal local batches sync's gradient
// is the mean over the ranks of their summed gradients, seed 003's all_reduce / world_size: half the sum
// over the global batch on 2 ranks, so one rank on the combined batch with lr / 2 and weight decay x 2
// makes the same steps.
TEST(SyncTwoRanks, SummedLossesAverageTheRanksSums) {
  iddl::data::DataOptions data_options;
  data_options.name = "synthetic";
  data_options.train_samples = 256;  // a multiple of the global batch: every rank has 16 samples a step
  data_options.test_samples = 64;
  const auto data = iddl::data::load_dataset(data_options);
  const iddl::models::TrainingLoss summed("cross_entropy", "sum");
  iddl::comm::MpiCommunicator comm;

  torch::manual_seed(11);
  auto model = iddl::models::make_model({"mlp", {48, 24}}, {1, 28, 28, 10});
  model->set_loss(summed);
  auto options = options_with_batch(16);
  options.lr = 0.002;
  iddl::parallel::SyncStrategy sync(comm);
  iddl::train::Trainer trainer(model, options, torch::kCPU, &comm, sync);
  iddl::train::EpochDriver driver(trainer, data, options, torch::kCPU);
  driver.run_epoch(1);
  const auto last = driver.run_epoch(2);
  const torch::Tensor distributed = iddl::train::flatten_values(model->parameters());

  if (comm.rank() == 0) {
    torch::manual_seed(11);
    auto reference = iddl::models::make_model({"mlp", {48, 24}}, {1, 28, 28, 10});
    reference->set_loss(summed);
    auto combined = options_with_batch(32);
    combined.lr = options.lr / 2;
    combined.weight_decay = options.weight_decay * 2;
    iddl::parallel::SingleStrategy alone;
    iddl::train::Trainer single(reference, combined, torch::kCPU, nullptr, alone);
    iddl::train::EpochDriver single_driver(single, data, combined, torch::kCPU);
    single_driver.run_epoch(1);
    const auto single_last = single_driver.run_epoch(2);
    const torch::Tensor expected = iddl::train::flatten_values(reference->parameters());
    EXPECT_TRUE(torch::allclose(distributed, expected, 1e-4, 1e-5))
        << "max difference " << (distributed - expected).abs().max().item<double>();
    EXPECT_NEAR(last.train_loss, single_last.train_loss, 1e-4);  // per sample, not per batch
    EXPECT_LT(last.train_loss, 2.4);
  }
}

// batch_scope "global": a step's batch of 63 split 32 + 31 over two ranks gives the updates of one rank with batch 63.
TEST(SyncTwoRanks, AGlobalBatchEqualsOneRankWithThatBatchEvenWhenUneven) {
  const auto data = synthetic_data();
  iddl::comm::MpiCommunicator comm;
  iddl::train::TrainOptions options = options_with_batch(63);
  options.batch_scope = "global";

  torch::manual_seed(11 + comm.rank());
  auto model = iddl::models::make_model({"mlp", {48, 24}}, {1, 28, 28, 10});
  iddl::parallel::SyncStrategy sync(comm);
  iddl::train::Trainer trainer(model, options, torch::kCPU, &comm, sync);
  iddl::train::EpochDriver driver(trainer, data, options, torch::kCPU);
  driver.run_epoch(1);
  const auto last = driver.run_epoch(2);
  const torch::Tensor distributed = iddl::train::flatten_values(model->parameters());

  if (comm.rank() == 0) {
    torch::manual_seed(11);
    auto reference = iddl::models::make_model({"mlp", {48, 24}}, {1, 28, 28, 10});
    iddl::parallel::SingleStrategy alone;
    iddl::train::Trainer single(reference, options, torch::kCPU, nullptr, alone);
    iddl::train::EpochDriver single_driver(single, data, options, torch::kCPU);  // batch_scope is moot alone
    single_driver.run_epoch(1);
    const auto single_last = single_driver.run_epoch(2);
    const torch::Tensor expected = iddl::train::flatten_values(reference->parameters());
    EXPECT_TRUE(torch::allclose(distributed, expected, 1e-4, 1e-5))
        << "max difference " << (distributed - expected).abs().max().item<double>();
    EXPECT_NEAR(last.train_loss, single_last.train_loss, 1e-4);
  }
}

IDDL_ON_DEVICES(SyncOn);
