// Run under `mpirun -np 2`: sync and param_avg exchanging through a compressor (docs/compression.md).
#include <gtest/gtest.h>

#include "core/comm/mpi_communicator.hpp"
#include "core/compress/compressed_averager.hpp"
#include "core/models/layers.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/trainer.hpp"
#include "core/parallel/param_avg_strategy.hpp"
#include "core/parallel/strategy_registry.hpp"
#include "core/parallel/sync_strategy.hpp"
#include "tests/core/compress/compression_values.hpp"
#include "tests/core/parallel/strategy_test_support.hpp"

namespace {

using iddl::parallel::AveragingPeriod;
using iddl::testing::plain_sgd;
using iddl::testing::small_mlp;
using iddl::testing::synthetic_data;

// Trains `model` for `epochs` epochs with `strategy`; returns the last epoch's result.
iddl::train::EpochResult train(iddl::models::Model model, const iddl::data::Dataset& data,
                               const iddl::train::TrainOptions& options, iddl::comm::Communicator& comm,
                               iddl::train::TrainingHooks& strategy) {
  iddl::train::Trainer trainer(std::move(model), options, torch::kCPU, &comm, strategy);
  iddl::train::EpochDriver driver(trainer, data, options, torch::kCPU);
  iddl::train::EpochResult last;
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) last = driver.run_epoch(epoch);
  return last;
}

torch::Tensor weights(iddl::models::Model& model) { return iddl::train::flatten_values(model->parameters()); }

std::unique_ptr<iddl::compress::CompressedAverager> averager(const nlohmann::json& value,
                                                             iddl::comm::Communicator& comm) {
  return iddl::compress::make_averager(iddl::testing::compression(value), comm, 1);
}

}  // namespace

// TopK at ratio 1 is lossless: the compressed exchange then trains exactly as the dense allreduce.
TEST(CompressedStrategies, SyncWithLosslessTopkEqualsDenseSync) {
  const auto data = synthetic_data(320, 64);
  iddl::comm::MpiCommunicator comm;
  auto dense = small_mlp(11 + comm.rank());
  iddl::parallel::SyncStrategy plain(comm);
  train(dense, data, plain_sgd(2), comm, plain);

  auto compressed = small_mlp(11 + comm.rank());
  iddl::parallel::SyncStrategy topk(comm, averager({{"method", "topk"}, {"ratio", 1.0}}, comm));
  const auto last = train(compressed, data, plain_sgd(2), comm, topk);
  EXPECT_TRUE(torch::allclose(weights(compressed), weights(dense), 1e-5, 1e-6))
      << "max difference " << (weights(compressed) - weights(dense)).abs().max().item<double>();
  EXPECT_TRUE(iddl::testing::all_ranks_equal(compressed, comm));
  EXPECT_GT(topk.run_metrics().at("compression_ratio"), 1.0);  // indices travel too
  EXPECT_GT(last.comm.bytes_sent, 0);
}

// At 1% the bytes on the wire shrink accordingly and every rank still holds the same weights.
TEST(CompressedStrategies, SyncWithTopkSendsAFewPercentAndKeepsRanksEqual) {
  const auto data = synthetic_data(320, 64);
  iddl::comm::MpiCommunicator comm;
  auto dense = small_mlp(3);
  iddl::parallel::SyncStrategy plain(comm);
  const auto dense_last = train(dense, data, plain_sgd(1), comm, plain);
  auto model = small_mlp(3);
  iddl::parallel::SyncStrategy topk(
      comm, averager({{"method", "topk"}, {"ratio", 0.01}, {"error_feedback", true}}, comm));
  const auto last = train(model, data, plain_sgd(1), comm, topk);
  EXPECT_TRUE(iddl::testing::all_ranks_equal(model, comm));
  const double ratio = topk.run_metrics().at("compression_ratio");
  EXPECT_GT(ratio, 0.01);
  EXPECT_LT(ratio, 0.05);
  EXPECT_LT(last.comm.bytes_sent, dense_last.comm.bytes_sent / 10);
}

// Sign payloads decode to +-scale everywhere, masked entries included: the masked weights must not move.
TEST(CompressedStrategies, SignCompressionLeavesMaskedWeightsAtZero) {
  const auto data = synthetic_data(320, 64);
  iddl::comm::MpiCommunicator comm;
  torch::manual_seed(5);
  iddl::models::SparsityOptions bibd;
  bibd.method = "bibd";
  iddl::models::Model model = iddl::models::make_model({"mlp", {48, 24}, bibd}, {1, 28, 28, 10});
  iddl::parallel::SyncStrategy sign(comm, averager({{"method", "signsgd"}}, comm));
  train(model, data, plain_sgd(1), comm, sign);
  for (const auto& module : model->modules(false)) {
    const auto* layer = dynamic_cast<const iddl::models::LinearImpl*>(module.get());
    if (layer != nullptr && layer->mask.defined()) {
      EXPECT_EQ((layer->linear->weight * (1 - layer->mask)).abs().sum().item<float>(), 0.0f);
    }
  }
}

// param_avg exchanges each rank's change since the last average: lossless TopK equals the dense average.
TEST(CompressedStrategies, ParamAvgWithLosslessTopkEqualsDenseParamAvg) {
  const auto data = synthetic_data(320, 64);
  iddl::comm::MpiCommunicator comm;
  auto dense = small_mlp(7);
  iddl::parallel::ParamAvgStrategy plain(comm, AveragingPeriod{3, "steps"});
  train(dense, data, plain_sgd(2), comm, plain);
  auto compressed = small_mlp(7);
  iddl::parallel::ParamAvgStrategy topk(comm, AveragingPeriod{3, "steps"},
                                       averager({{"method", "topk"}, {"ratio", 1.0}}, comm));
  train(compressed, data, plain_sgd(2), comm, topk);
  EXPECT_TRUE(torch::allclose(weights(compressed), weights(dense), 1e-5, 1e-6))
      << "max difference " << (weights(compressed) - weights(dense)).abs().max().item<double>();
}

TEST(CompressedStrategies, FactoryRefusesACompressorTheStrategyCannotApply) {
  iddl::comm::MpiCommunicator comm;
  using iddl::testing::compression;
  const iddl::parallel::StrategyOptions gossip{
      "gossip", {{"period", 1}, {"share_fraction", 1.0}}, compression({{"method", "topk"}, {"ratio", 0.1}})};
  EXPECT_THROW(iddl::parallel::make_strategy(gossip, plain_sgd(1), comm), std::logic_error);
  EXPECT_NE(iddl::parallel::make_strategy({"sync", {}, compression("qsgd")}, plain_sgd(1), comm), nullptr);
}
