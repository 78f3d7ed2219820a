// Run under `mpirun -np 2`: consensus ADMM (parallelism "admm") on a convex problem with different data on each
// rank reaches the centralized solution; its residuals vanish; it trains a model through the trainer.
#include <gtest/gtest.h>

#include "core/comm/mpi_communicator.hpp"
#include "core/parallel/admm_strategy.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/trainer.hpp"
#include "tests/core/parallel/strategy_test_support.hpp"

namespace {

constexpr int64_t kFeatures = 3;
constexpr int64_t kRows = 24;

// Rank r's least-squares data (A_r, b_r): b_r = A_r w_r + noise, w_r different on every rank, so each rank's own
// minimizer differs from the centralized one. Every rank can draw every rank's data.
std::pair<torch::Tensor, torch::Tensor> rank_data(int rank) {
  torch::manual_seed(100 + rank);
  const torch::Tensor a = torch::randn({kRows, kFeatures}, torch::kFloat64);
  const torch::Tensor w = torch::full({kFeatures, 1}, rank == 0 ? 1.0 : -2.0, torch::kFloat64);
  return {a, a.mm(w) + 0.3 * torch::randn({kRows, 1}, torch::kFloat64)};
}

// argmin_w sum_r 1/(2 kRows) ||A_r w - b_r||^2 over `ranks` ranks: the normal equations.
torch::Tensor centralized_solution(int ranks) {
  torch::Tensor gram = torch::zeros({kFeatures, kFeatures}, torch::kFloat64);
  torch::Tensor moment = torch::zeros({kFeatures, 1}, torch::kFloat64);
  for (int r = 0; r < ranks; ++r) {
    const auto [a, b] = rank_data(r);
    gram += a.t().mm(a);
    moment += a.t().mm(b);
  }
  return torch::linalg::solve(gram, moment, true).flatten();
}

// The weights of a linear model without bias.
struct LeastSquares : torch::nn::Module {
  LeastSquares() : w(register_parameter("w", torch::zeros({kFeatures, 1}, torch::kFloat64))) {}
  torch::Tensor w;
};

}  // namespace

TEST(AdmmTwoRanks, ReachesTheCentralizedLeastSquaresSolution) {
  iddl::comm::MpiCommunicator comm;
  const auto [a, b] = rank_data(comm.rank());
  LeastSquares model;
  iddl::parallel::AdmmStrategy admm(comm, 1.0, 20);
  torch::optim::SGD sgd(model.parameters(), torch::optim::SGDOptions(0.1));
  admm.on_start(model);
  for (int step = 0; step < 20 * 300; ++step) {  // 300 rounds of 20 full-batch gradient steps
    sgd.zero_grad();
    const torch::Tensor loss = (a.mm(model.w) - b).pow(2).sum() / (2.0 * kRows);
    loss.backward();
    admm.after_backward(model, kRows, 2 * kRows);
    sgd.step();
    admm.after_step(model);
  }
  admm.on_epoch_end(model);
  const torch::Tensor expected = centralized_solution(comm.size());
  const torch::Tensor z = admm.consensus();
  EXPECT_TRUE(torch::allclose(z, expected, 1e-4, 1e-5)) << "z " << z << " centralized " << expected;
  // Each rank's own minimizer is far from it: the consensus is not any one rank's answer.
  const torch::Tensor own = torch::linalg::solve(a.t().mm(a), a.t().mm(b), true).flatten();
  EXPECT_GT((own - expected).norm().item<double>(), 0.5);
  EXPECT_LT(admm.residuals().primal, 1e-5);
  EXPECT_LT(admm.residuals().dual, 1e-5);
  EXPECT_EQ(admm.named_metrics().size(), 2u);  // one epoch: its primal and dual residuals
}

TEST(AdmmTwoRanks, TrainsAModelAndEvaluatesTheConsensus) {
  const auto data = iddl::testing::synthetic_data(640, 128);
  iddl::comm::MpiCommunicator comm;
  auto model = iddl::testing::small_mlp(21 + comm.rank());
  const auto options = iddl::testing::plain_sgd(2);
  iddl::parallel::AdmmStrategy admm(comm, 1.0, 5);
  iddl::train::Trainer trainer(model, options, torch::kCPU, &comm, admm);
  iddl::train::EpochDriver driver(trainer, data, options, torch::kCPU);
  const auto first = driver.run_epoch(1);
  const auto second = driver.run_epoch(2);
  EXPECT_LT(second.train_loss, first.train_loss);
  const int64_t steps_per_epoch = 640 / (16 * 2);  // 20 steps, 4 rounds of 5
  const int64_t state = iddl::train::flatten_values(model->parameters()).numel();
  EXPECT_EQ(second.comm.bytes_sent, steps_per_epoch / 5 * iddl::comm::ring_allreduce_bytes(state * 4, 2));
  const auto metrics = admm.named_metrics();
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_GT(metrics.at("admm_primal_residual.1"), 0.0);
  EXPECT_GT(metrics.at("admm_dual_residual.2"), 0.0);
  // The epoch was evaluated with z, and the ranks went back to their own replicas.
  EXPECT_FALSE(iddl::testing::all_ranks_equal(model, comm));
}
