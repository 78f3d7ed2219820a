// Trained under `mpirun -np 4`: two pipelines of two stages (ranks 0-1 and 2-3), their gradients
// averaged over the replicas of each stage, equal the single-process model on the two pipelines'
// batches together, also when the shares are unequal or one pipeline's share is empty; with batch_scope "global"
// the two pipelines split the step's batch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "core/comm/mpi_communicator.hpp"
#include "core/pipeline/pipeline_trainer.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/epoch_order.hpp"

namespace iddl::pipeline {
namespace {

const models::InputShape kFashion{1, 28, 28, 10};
constexpr double kLr = 0.05;

models::StagedModel mlp() {
  torch::manual_seed(7);
  return models::make_model({"mlp", {64, 32, 16}}, kFashion);
}

TEST(pipeline_hybrid, TwoPipelinesOfTwoStagesEqualOneModelOnTheWholeBatch) {
  comm::MpiCommunicator world;
  ASSERT_EQ(world.size(), 4);
  const int stage = world.rank() % 2, pipeline = world.rank() / 2;
  const std::unique_ptr<comm::Communicator> stages = world.split(pipeline, stage);
  const std::unique_ptr<comm::Communicator> replicas = world.split(stage, pipeline);
  ASSERT_EQ(stages->rank(), stage);
  ASSERT_EQ(replicas->rank(), pipeline);

  PipelineOptions options;
  options.chunks = 4;
  options.sgd = torch::optim::SGDOptions(kLr).momentum(0.9);
  const models::StagedModel model = mlp();
  PipelineTrainer trainer(model, kFashion, {{0, 1}, {1, 3}}, *stages, options, replicas.get());

  const models::StagedModel reference = mlp();
  torch::optim::SGD sgd(reference->parameters(), torch::optim::SGDOptions(kLr).momentum(0.9));
  torch::manual_seed(21);
  // Global batches of 32, 20 (shares 16 and 4) and 12 (shares 12 and 0).
  for (const int64_t global : {32, 32, 20, 12}) {
    const torch::Tensor x = torch::randn({global, 1, 28, 28}), y = torch::randint(0, 10, {global});
    const int64_t begin = std::min<int64_t>(global, 16 * pipeline), end = std::min<int64_t>(global, begin + 16);
    const double loss = trainer.train_step(x.slice(0, begin, end), y.slice(0, begin, end));
    sgd.zero_grad();
    const torch::Tensor expected = reference->training_loss(x, y);
    expected.backward();
    sgd.step();
    EXPECT_NEAR(loss, expected.item<double>(), 1e-5) << "global batch " << global;
  }
  const auto expected = reference->named_parameters();
  for (const auto& item : model->named_parameters())
    for (const torch::Tensor& p : trainer.owned_parameters())
      if (p.is_same(item.value())) {
        EXPECT_TRUE(torch::allclose(item.value(), expected[item.key()], 0.0, 1e-5)) << item.key();
      }
  // Gradients crossed the replicas: counted as training traffic of the replica communicator.
  EXPECT_GT(replicas->take_stats().bytes_sent, 0);
}

// batch_scope "global" through the epoch driver: a step's batch of 31 split 16 + 15 over the two pipelines trains
// the weights of one model on the whole batch of 31.
TEST(pipeline_hybrid, TwoPipelinesSplitAGlobalBatch) {
  comm::MpiCommunicator world;
  const int stage = world.rank() % 2, pipeline = world.rank() / 2;
  const std::unique_ptr<comm::Communicator> stages = world.split(pipeline, stage);
  const std::unique_ptr<comm::Communicator> replicas = world.split(stage, pipeline);
  data::DataOptions source;
  source.name = "synthetic";
  source.train_samples = 124;
  source.test_samples = 32;
  const data::Dataset data = data::load_dataset(source);
  train::TrainOptions o;
  o.batch_size = 31;
  o.batch_scope = "global";
  o.lr = kLr;
  o.seed = 4;

  PipelineOptions options;
  options.chunks = 4;
  options.sgd = torch::optim::SGDOptions(kLr);
  const models::StagedModel model = mlp();
  PipelineTrainer trainer(model, kFashion, {{0, 1}, {1, 3}}, *stages, options, replicas.get());
  train::EpochDriver(trainer, data, o, torch::kCPU).run_epoch(1);

  const models::StagedModel reference = mlp();
  torch::optim::SGD sgd(reference->parameters(), torch::optim::SGDOptions(kLr));
  const train::EpochOrder order(124, 31, 0, 1, 4, 1);
  for (int64_t b = 0; b < order.batches(); ++b) {
    const torch::Tensor rows = torch::tensor(order.local_indices(b), torch::kInt64);
    sgd.zero_grad();
    reference->training_loss(data.train.images.index_select(0, rows), data.train.labels.index_select(0, rows))
        .backward();
    sgd.step();
  }
  const auto expected = reference->named_parameters();
  int64_t compared = 0;
  for (const auto& item : model->named_parameters())
    for (const torch::Tensor& p : trainer.owned_parameters())
      if (p.is_same(item.value())) {
        EXPECT_TRUE(torch::allclose(item.value(), expected[item.key()], 0.0, 1e-5)) << item.key();
        ++compared;
      }
  EXPECT_GT(compared, 0);
}

}  // namespace
}  // namespace iddl::pipeline
