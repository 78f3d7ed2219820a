// Trained under `mpirun -np 2`: the first_and_last placement (seed 004's client/server) of the MLP
// 784-64-32-16-10 split into its three stages, rank 0 running stage 0 and stage 2 with the head, rank 1
// stage 1: uncompressed, the same losses, weights and test scores as the single-process model; the bytes
// of both boundaries (64 values a sample into rank 1, 32 back out of it) each way, counted on both ranks
// and in the run metrics; sortquant codes at both boundaries; placements that cannot run rejected.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "core/comm/mpi_communicator.hpp"
#include "core/pipeline/pipeline_trainer.hpp"
#include "core/pipeline/rank_measures.hpp"

namespace iddl::pipeline {
namespace {

const models::InputShape kFashion{1, 28, 28, 10};
constexpr int64_t kBatch = 32;
constexpr int kSteps = 2;
constexpr double kLr = 0.05;
constexpr int64_t kWidth1 = 64;  // boundary 1: stage 0's output, rank 0 to rank 1
constexpr int64_t kWidth2 = 32;  // boundary 2: stage 1's output, rank 1 back to rank 0
const StageSplit kThirds{{0, 1}, {1, 2}, {2, 3}};

// The MLP 784-64-32-16-10 every rank builds the same (seed 7).
models::StagedModel mlp() {
  torch::manual_seed(7);
  return models::make_model({"mlp", {64, 32, 16}}, kFashion);
}

struct Batch {
  torch::Tensor x, y;
};

std::vector<Batch> batches() {
  torch::manual_seed(11);
  std::vector<Batch> out;
  for (int s = 0; s < kSteps; ++s) out.push_back({torch::randn({kBatch, 1, 28, 28}), torch::randint(0, 10, {kBatch})});
  return out;
}

struct Trained {
  std::vector<double> losses;
  models::StagedModel model;
  std::vector<std::string> owned;
};

// The whole model on one process, plain SGD on each batch's mean cross-entropy.
Trained reference() {
  Trained run{{}, mlp(), {}};
  torch::optim::SGD sgd(run.model->parameters(), torch::optim::SGDOptions(kLr));
  for (const Batch& b : batches()) {
    sgd.zero_grad();
    torch::Tensor loss = run.model->training_loss(b.x, b.y);
    loss.backward();
    sgd.step();
    run.losses.push_back(loss.item<double>());
  }
  return run;
}

PipelineOptions first_and_last(int64_t chunks, BoundaryCodec codec = {}) {
  PipelineOptions o;
  o.chunks = chunks;
  o.codec = codec;
  o.sgd = torch::optim::SGDOptions(kLr);
  o.placement = "first_and_last";
  return o;
}

// The names of the parameters `trainer` trains.
std::vector<std::string> owned_names(const PipelineTrainer& trainer, const models::StagedModel& model) {
  std::vector<std::string> names;
  for (const auto& item : model->named_parameters())
    for (const torch::Tensor& p : trainer.owned_parameters())
      if (p.is_same(item.value())) names.push_back(item.key());
  return names;
}

TEST(pipeline_first_and_last, RankZeroRunsTheFirstAndLastGroups) {
  comm::MpiCommunicator comm;
  ASSERT_EQ(comm.size(), 2);
  const models::StagedModel model = mlp();
  PipelineTrainer trainer(model, kFashion, kThirds, comm, first_and_last(4));
  EXPECT_EQ(trainer.group_ranks(), (std::vector<int>{0, 1, 0}));
  // Rank 0: hidden layers 0 and 2 and the output layer; rank 1: hidden layer 1 (weight and bias each).
  EXPECT_EQ(trainer.owned_parameters().size(), comm.rank() == 0 ? 6u : 2u);
  // The three-group balanced split of the MLP by FLOPs is its three stages.
  EXPECT_EQ(balanced_split(stage_flops(*model, kFashion), 3), kThirds);
}

TEST(pipeline_first_and_last, LosslessBoundariesEqualTheSingleProcessModel) {
  comm::MpiCommunicator comm;
  const Trained ref = reference();
  for (const int64_t chunks : {1, 4}) {
    SCOPED_TRACE(std::to_string(chunks) + " chunks");
    Trained run{{}, mlp(), {}};
    PipelineTrainer trainer(run.model, kFashion, kThirds, comm, first_and_last(chunks));
    for (const Batch& b : batches()) run.losses.push_back(trainer.train_step(b.x, b.y));
    ASSERT_EQ(run.losses.size(), ref.losses.size());
    for (size_t i = 0; i < run.losses.size(); ++i) EXPECT_NEAR(run.losses[i], ref.losses[i], 1e-5) << "step " << i;
    const auto expected = ref.model->named_parameters();
    for (const std::string& name : owned_names(trainer, run.model))
      EXPECT_TRUE(torch::allclose(run.model->named_parameters()[name], expected[name], 0.0, 1e-5)) << name;
    // Rank 0 held both of its groups' activations of every micro-batch at the turn of fill-drain.
    EXPECT_EQ(trainer.stage_stats().peak_live_micro_batches, comm.rank() == 0 ? 2 * chunks : chunks);
  }
}

TEST(pipeline_first_and_last, BytesCrossBothBoundariesEachWay) {
  comm::MpiCommunicator comm;
  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, kThirds, comm, first_and_last(4));
  comm.take_stats();
  for (const Batch& b : batches()) trainer.train_step(b.x, b.y);
  // Per step, 4 micro-batches of 8 rows in float32: boundary 1 carries 8 x 64 values a message, boundary 2 8 x 32.
  const int64_t b1 = kSteps * 4 * (8 * kWidth1 * 4), b2 = kSteps * 4 * (8 * kWidth2 * 4);
  EXPECT_EQ(b1, kSteps * kBatch * kWidth1 * 4);
  // Rank 0 sends boundary 1's activations and boundary 2's gradients; rank 1 the reverse.
  const BoundaryStats& next = trainer.next_boundary();
  const BoundaryStats& previous = trainer.previous_boundary();
  EXPECT_EQ(next.bytes_sent, comm.rank() == 0 ? b1 : b2);
  EXPECT_EQ(next.bytes_received, comm.rank() == 0 ? b1 : b2);
  EXPECT_EQ(previous.bytes_sent, comm.rank() == 0 ? b2 : b1);
  EXPECT_EQ(previous.bytes_received, comm.rank() == 0 ? b2 : b1);
  EXPECT_EQ(next.messages_sent + previous.messages_sent, kSteps * 2 * 4);
  EXPECT_EQ(comm.take_stats().bytes_sent, b1 + b2);  // a contiguous split of two ranks sends one boundary's

  const auto metrics =
      pipeline_metrics(gather_measures(rank_measures(trainer), comm), trainer.split(), trainer.group_ranks(), 4);
  EXPECT_EQ(metrics.at("pipeline_stages"), 2.0);
  EXPECT_EQ(metrics.at("stage_first.2"), 2.0);
  EXPECT_EQ(metrics.at("boundary.1.forward_bytes"), static_cast<double>(b1));
  EXPECT_EQ(metrics.at("boundary.1.backward_bytes"), static_cast<double>(b1));
  EXPECT_EQ(metrics.at("boundary.2.forward_bytes"), static_cast<double>(b2));
  EXPECT_EQ(metrics.at("boundary.2.backward_bytes"), static_cast<double>(b2));
  EXPECT_EQ(metrics.at("boundary_compression_ratio"), 1.0);
  EXPECT_DOUBLE_EQ(metrics.at("ideal_efficiency"), 0.75);  // 3 x 4 / (2 x max(8, 6))
}

TEST(pipeline_first_and_last, SortquantCodesBothBoundaries) {
  comm::MpiCommunicator comm;
  Trained plain{{}, mlp(), {}};
  {
    PipelineTrainer trainer(plain.model, kFashion, kThirds, comm, first_and_last(4));
    for (const Batch& b : batches()) plain.losses.push_back(trainer.train_step(b.x, b.y));
  }
  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, kThirds, comm, first_and_last(4, {"sortquant", 16, 1}));
  for (const Batch& b : batches()) run.losses.push_back(trainer.train_step(b.x, b.y));
  for (size_t i = 0; i < run.losses.size(); ++i) EXPECT_NEAR(run.losses[i], plain.losses[i], 1e-3) << "step " << i;
  // One message of n values: 2 buckets of (min, step), then n codes of 16 + 1 bits, in 32-bit words.
  const auto wire = [](int64_t n) { return (8 * 2 + (n * 17 + 7) / 8 + 3) / 4 * 4; };
  const int64_t b1 = kSteps * 4 * wire(8 * kWidth1), b2 = kSteps * 4 * wire(8 * kWidth2);
  EXPECT_EQ(trainer.next_boundary().bytes_sent, comm.rank() == 0 ? b1 : b2);
  EXPECT_EQ(trainer.previous_boundary().bytes_sent, comm.rank() == 0 ? b2 : b1);
  EXPECT_EQ(trainer.next_boundary().dense_bytes_sent, kSteps * kBatch * (comm.rank() == 0 ? kWidth1 : kWidth2) * 4);
}

TEST(pipeline_first_and_last, ScoreEqualsTheSingleProcessModel) {
  comm::MpiCommunicator comm;
  const models::StagedModel reference_model = mlp();
  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, kThirds, comm, first_and_last(4));
  torch::manual_seed(12);
  const torch::Tensor x = torch::randn({42, 1, 28, 28}), y = torch::randint(0, 10, {42});
  models::TestSums expected, actual;
  reference_model->eval();
  reference_model->score(x, y, expected);
  trainer.score(x, y, actual);
  EXPECT_EQ(actual.samples, 42.0);
  EXPECT_NEAR(actual.loss, expected.loss, 1e-4);
  EXPECT_EQ(actual.correct, expected.correct);
  const BoundaryStats& both = trainer.evaluation_boundaries();
  EXPECT_EQ(both.bytes_sent, 42 * (comm.rank() == 0 ? kWidth1 : kWidth2) * 4);
  EXPECT_EQ(both.bytes_received, 42 * (comm.rank() == 0 ? kWidth2 : kWidth1) * 4);
}

TEST(pipeline_first_and_last, RejectsWhatItCannotRun) {
  comm::MpiCommunicator comm;
  const models::StagedModel model = mlp();
  // Two groups, 1f1b (rank 0 holds two groups), and one rank.
  EXPECT_THROW(PipelineTrainer(model, kFashion, {{0, 1}, {1, 3}}, comm, first_and_last(4)), std::invalid_argument);
  PipelineOptions one_f_one_b = first_and_last(4);
  one_f_one_b.schedule = "1f1b";
  EXPECT_THROW(PipelineTrainer(model, kFashion, kThirds, comm, one_f_one_b), std::invalid_argument);
  const auto alone = comm.split(comm.rank(), 0);
  ASSERT_EQ(alone->size(), 1);
  EXPECT_THROW(PipelineTrainer(model, kFashion, kThirds, *alone, first_and_last(4)), std::invalid_argument);
}

}  // namespace
}  // namespace iddl::pipeline
