// Run under `mpirun -np 2` and `-np 3`: downpour (a parameter server on rank 0, asynchronous workers).
#include <gtest/gtest.h>

#include "core/comm/mpi_communicator.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/trainer.hpp"
#include "core/parallel/downpour_strategy.hpp"
#include "tests/core/parallel/strategy_test_support.hpp"

TEST(Downpour, LearnsAndEndsEveryEpochWithTheServersWeights) {
  const auto data = iddl::testing::synthetic_data(2048, 512);
  iddl::comm::MpiCommunicator comm;
  auto model = iddl::testing::small_mlp(21 + comm.rank());
  auto options = iddl::testing::plain_sgd(3);
  iddl::parallel::DownpourStrategy downpour(comm, 1, 2, options.lr);
  iddl::train::Trainer trainer(model, options, torch::kCPU, &comm, downpour);
  iddl::train::EpochDriver driver(trainer, data, options, torch::kCPU);
  iddl::train::EpochResult last;
  for (int64_t epoch = 1; epoch <= 3; ++epoch) {
    last = driver.run_epoch(epoch);
    EXPECT_TRUE(iddl::testing::all_ranks_equal(model, comm)) << "epoch " << epoch;
  }
  EXPECT_GT(last.test_accuracy, 0.5);
  if (comm.rank() == 0) {
    const double staleness = downpour.run_metrics().at("staleness_mean");
    if (comm.size() == 2) {
      // One worker, 128 steps an epoch, a push every step and a fetch every 2: staleness 0, 1, 0, 1, ...
      EXPECT_DOUBLE_EQ(staleness, 0.5);
      const int64_t message = (iddl::train::flatten_values(model->parameters()).numel() + 1) * 4;
      EXPECT_EQ(last.comm.bytes_received, 128 * message);  // the pushes
      EXPECT_EQ(last.comm.bytes_sent, (64 + 1) * message);  // the fetches and the epoch-end broadcast
    } else {
      EXPECT_GE(staleness, 0.0);
    }
  }
}
