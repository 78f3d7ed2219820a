// Trained under `mpirun -np 2`: GPipe fill-drain over two ranks against a single-process model every rank
// trains locally on the same batches (MLP 784-64-32-16-10, plain SGD): the same losses and weights for
// 1, 4 and 8 micro-batches and both possible splits; 1F1B equal to fill-drain while holding fewer
// micro-batches and less memory; zero bubble (zb_h1) equal to 1F1B bit for bit, holding two micro-batches;
// sortquant boundaries close to uncompressed with the analytic bytes, in int16 containers (seed 004) the
// same training with the seed's bytes; a receive whose sender never sends fails with a clear error; through
// the epoch driver, the first stage trains on the augmented batches.
// PipelineOn: on every device of tests/support/devices.hpp.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "core/comm/mpi_communicator.hpp"
#include "core/data/augmentation.hpp"
#include "core/pipeline/pipeline_trainer.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/epoch_order.hpp"
#include "tests/support/devices.hpp"

namespace iddl::pipeline {
namespace {

const models::InputShape kFashion{1, 28, 28, 10};
constexpr int64_t kBatch = 32;
constexpr int kSteps = 5;
constexpr double kLr = 0.05;
constexpr int64_t kBoundaryWidth = 64;  // the first hidden layer: the boundary of the balanced split

// The MLP 784-64-32-16-10 every rank builds the same (seed 7).
models::StagedModel mlp() {
  torch::manual_seed(7);
  return models::make_model({"mlp", {64, 32, 16}}, kFashion);
}

struct Batch {
  torch::Tensor x, y;
};

// The fixed training batches (the same on every rank).
std::vector<Batch> batches() {
  torch::manual_seed(11);
  std::vector<Batch> out;
  for (int s = 0; s < kSteps; ++s) out.push_back({torch::randn({kBatch, 1, 28, 28}), torch::randint(0, 10, {kBatch})});
  return out;
}

// Losses per step, the final model and the names of the parameters this rank trained.
struct Trained {
  std::vector<double> losses;
  models::StagedModel model;
  std::vector<std::string> owned;
};

// The single-process reference: the whole model, plain SGD on each batch's loss (mean cross-entropy
// unless `loss` says otherwise).
Trained reference(const models::TrainingLoss& loss = models::TrainingLoss()) {
  Trained run{{}, mlp(), {}};
  run.model->set_loss(loss);
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

PipelineOptions options(int64_t chunks, BoundaryCodec codec = {}, const std::string& schedule = "fill_drain") {
  PipelineOptions o;
  o.chunks = chunks;
  o.schedule = schedule;
  o.codec = codec;
  o.sgd = torch::optim::SGDOptions(kLr);
  return o;
}

// kSteps pipeline steps over both ranks with `split` and `opts` (and the model's `loss`) on `device`.
Trained pipelined(comm::Communicator& comm, const StageSplit& split, const PipelineOptions& opts,
                  const models::TrainingLoss& loss = models::TrainingLoss(),
                  const torch::Device& device = torch::kCPU) {
  Trained run{{}, mlp(), {}};
  run.model->set_loss(loss);
  run.model->to(device);
  PipelineTrainer trainer(run.model, kFashion, split, comm, opts);
  for (const Batch& b : batches()) run.losses.push_back(trainer.train_step(b.x.to(device), b.y.to(device)));
  for (const auto& item : run.model->named_parameters())
    for (const torch::Tensor& p : trainer.owned_parameters())
      if (p.is_same(item.value())) run.owned.push_back(item.key());
  return run;
}

void expect_losses_near(const std::vector<double>& actual, const std::vector<double>& expected, double tolerance) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], tolerance) << "step " << i;
}

// Every split of the MLP's 3 stages into `groups` groups (2: after stage 0 or after stage 1).
std::vector<StageSplit> every_split(int groups) {
  std::vector<StageSplit> out;
  if (groups == 1) out.push_back(explicit_split(3, {}));
  if (groups == 2) out = {explicit_split(3, {1}), explicit_split(3, {2})};
  if (groups == 3) out.push_back(explicit_split(3, {1, 2}));
  return out;
}

// Whether the parameters this rank owns equal the reference's of the same name.
void expect_owned_weights_equal(const Trained& run, const Trained& ref) {
  const auto expected = ref.model->named_parameters();
  ASSERT_FALSE(run.owned.empty());
  for (const std::string& name : run.owned)
    EXPECT_TRUE(torch::allclose(run.model->named_parameters()[name].cpu(), expected[name].cpu(), 0.0, 1e-5)) << name;
}

TEST(pipeline_gpipe, BalancedSplitOfTheMlpCutsAfterTheFirstHiddenLayer) {
  comm::MpiCommunicator comm;
  ASSERT_EQ(comm.size(), 2);
  const models::StagedModel model = mlp();
  EXPECT_EQ(split_by_flops(*model, kFashion, 2), (StageSplit{{0, 1}, {1, 3}}));
  PipelineTrainer trainer(model, kFashion, split_by_flops(*model, kFashion, 2), comm, options(4));
  // Rank 0: hidden layer 0 (weight, bias); rank 1: hidden layers 1 and 2 and the output layer.
  EXPECT_EQ(trainer.owned_parameters().size(), comm.rank() == 0 ? 2u : 6u);
}

class PipelineOn : public iddl::testing::OnDevice {};

TEST_P(PipelineOn, FillDrainEqualsTheSingleProcessModel) {
  comm::MpiCommunicator comm;
  const Trained ref = reference();
  for (const StageSplit& split : every_split(comm.size())) {
    SCOPED_TRACE("last group starts at stage " + std::to_string(split.back().first));
    const Trained run = pipelined(comm, split, options(4), models::TrainingLoss(), device());
    expect_losses_near(run.losses, ref.losses, 1e-5);
    expect_owned_weights_equal(run, ref);
  }
}

// The epoch driver augments the batches it hands to every stage, so the first stage trains on the images a
// single-process model trains on when it augments each batch with the driver's draws (seed, shard 0, epoch, step).
TEST(pipeline_gpipe, TheEpochDriverFeedsTheFirstStageAugmentedBatches) {
  comm::MpiCommunicator comm;
  data::DataOptions source;
  source.name = "synthetic";
  source.train_samples = 96;
  source.test_samples = 32;
  const data::Dataset data = data::load_dataset(source);
  train::TrainOptions o;
  o.batch_size = kBatch;
  o.lr = kLr;
  o.seed = 3;
  o.augment.method = "crop_flip";
  o.augment.cutout = 8;

  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, explicit_split(3, {1}), comm, options(4));
  train::EpochDriver(trainer, data, o, torch::kCPU).run_epoch(1);
  for (const auto& item : run.model->named_parameters())
    for (const torch::Tensor& p : trainer.owned_parameters())
      if (p.is_same(item.value())) run.owned.push_back(item.key());

  const auto alone = [&](const data::AugmentOptions& augment) {
    Trained ref{{}, mlp(), {}};
    torch::optim::SGD sgd(ref.model->parameters(), torch::optim::SGDOptions(kLr));
    const train::EpochOrder order(96, kBatch, 0, 1, 3, 1);
    for (int64_t b = 0; b < order.batches(); ++b) {
      const torch::Tensor rows = torch::tensor(order.local_indices(b), torch::kInt64);
      const torch::Tensor x = data::augment_batch(data.train.images.index_select(0, rows), augment, {3, 0, 1, b});
      sgd.zero_grad();
      ref.model->training_loss(x, data.train.labels.index_select(0, rows)).backward();
      sgd.step();
    }
    return ref;
  };
  expect_owned_weights_equal(run, alone(o.augment));
  const Trained plain = alone(data::AugmentOptions{});
  const torch::Tensor owned = run.model->named_parameters()[run.owned.front()];
  EXPECT_GT((owned - plain.model->named_parameters()[run.owned.front()]).abs().max().item<double>(), 1e-4)
      << "unaugmented batches train other weights";
}

// The model's loss on the last stage: a summed loss is the sum of the micro-batches' sums (not weighted
// by their share as the mean is); train_step still returns the loss per sample.
TEST(pipeline_gpipe, SummedMseLossEqualsTheSingleProcessModel) {
  comm::MpiCommunicator comm;
  const models::TrainingLoss summed_mse("mse", "sum");
  const Trained ref = reference(summed_mse);
  std::vector<double> per_sample;
  for (const double loss : ref.losses) per_sample.push_back(loss / static_cast<double>(kBatch));
  for (const StageSplit& split : every_split(comm.size())) {
    SCOPED_TRACE("last group starts at stage " + std::to_string(split.back().first));
    const Trained run = pipelined(comm, split, options(4), summed_mse);
    expect_losses_near(run.losses, per_sample, 1e-6);
    expect_owned_weights_equal(run, ref);
  }
}

TEST(pipeline_gpipe, OneAndEightChunksMatchFour) {
  comm::MpiCommunicator comm;
  const StageSplit split{{0, 1}, {1, 3}};
  const Trained four = pipelined(comm, split, options(4));
  for (const int64_t chunks : {1, 8}) {
    SCOPED_TRACE(std::to_string(chunks) + " chunks");
    const Trained run = pipelined(comm, split, options(chunks));
    expect_losses_near(run.losses, four.losses, 1e-5);
    expect_owned_weights_equal(run, four);
  }
}

TEST(pipeline_gpipe, UncompressedBoundaryBytesAreFloat32) {
  comm::MpiCommunicator comm;
  const StageSplit split{{0, 1}, {1, 3}};
  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, split, comm, options(4));
  for (const Batch& b : batches()) trainer.train_step(b.x, b.y);
  const int64_t bytes = kSteps * kBatch * kBoundaryWidth * 4;
  const BoundaryStats& side = comm.rank() == 0 ? trainer.next_boundary() : trainer.previous_boundary();
  EXPECT_EQ(side.bytes_sent, bytes);
  EXPECT_EQ(side.bytes_received, bytes);
  EXPECT_EQ(side.messages_sent, kSteps * 4);
  EXPECT_EQ(comm.take_stats().bytes_sent, bytes);
}

TEST(pipeline_gpipe, SortquantBoundariesStayCloseWithAnalyticBytes) {
  comm::MpiCommunicator comm;
  const StageSplit split{{0, 1}, {1, 3}};
  const Trained plain = pipelined(comm, split, options(4));
  comm.take_stats();
  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, split, comm, options(4, {"sortquant", 16, 1}));
  for (const Batch& b : batches()) run.losses.push_back(trainer.train_step(b.x, b.y));
  expect_losses_near(run.losses, plain.losses, 1e-3);
  // Each of the 4 micro-batches of 8 rows: 2 buckets of (min, step), then 8 * 64 codes of 16 + 1 bits.
  const int64_t payload = 8 * 2 + (8 * kBoundaryWidth * 17 + 7) / 8;
  EXPECT_EQ(payload, compress::sortquant(16, 1).payload_bytes(8 * kBoundaryWidth));
  EXPECT_EQ(trainer.wire_bytes(8 * kBoundaryWidth), (payload + 3) / 4 * 4);
  const int64_t bytes = kSteps * 4 * ((payload + 3) / 4 * 4);
  const BoundaryStats& side = comm.rank() == 0 ? trainer.next_boundary() : trainer.previous_boundary();
  EXPECT_EQ(side.bytes_sent, bytes);
  EXPECT_EQ(side.bytes_received, bytes);
  EXPECT_EQ(comm.take_stats().bytes_sent, bytes);
}

TEST(pipeline_gpipe, UniformBoundariesCountTheirPayload) {
  comm::MpiCommunicator comm;
  const StageSplit split{{0, 1}, {1, 3}};
  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, split, comm, options(4, {"uniform", 8, 0}));
  trainer.train_step(batches()[0].x, batches()[0].y);
  const int64_t payload = 8 + 8 * kBoundaryWidth;  // one (min, step), then one byte per value
  const BoundaryStats& side = comm.rank() == 0 ? trainer.next_boundary() : trainer.previous_boundary();
  EXPECT_EQ(side.bytes_sent, 4 * payload);
}

TEST(pipeline_gpipe, IntContainersSendSeedFoursBytesAndTheSameValues) {
  // sortquant 12 bits (9-bit codes, 8 buckets) with each code in an int16, as seed 004 sends it: the
  // same training as packed codes, 2 bytes a value instead of 1.5.
  comm::MpiCommunicator comm;
  const StageSplit split{{0, 1}, {1, 3}};
  const Trained packed = pipelined(comm, split, options(4, {"sortquant", 9, 3}));
  comm.take_stats();
  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, split, comm,
                          options(4, {"sortquant", 9, 3, compress::CodeContainer::Int}));
  for (const Batch& b : batches()) run.losses.push_back(trainer.train_step(b.x, b.y));
  EXPECT_EQ(run.losses, packed.losses);
  const int64_t payload = 8 * 8 + 8 * kBoundaryWidth * 2;  // 8 (min, step) pairs, an int16 per value
  EXPECT_EQ(trainer.wire_bytes(8 * kBoundaryWidth), payload);
  const BoundaryStats& side = comm.rank() == 0 ? trainer.next_boundary() : trainer.previous_boundary();
  EXPECT_EQ(side.bytes_sent, kSteps * 4 * payload);
  EXPECT_EQ(side.bytes_received, kSteps * 4 * payload);
}

TEST(pipeline_gpipe, ScoreEqualsTheSingleProcessModel) {
  comm::MpiCommunicator comm;
  const models::StagedModel reference_model = mlp();
  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, {{0, 1}, {1, 3}}, comm, options(4));
  torch::manual_seed(12);
  const torch::Tensor x = torch::randn({42, 1, 28, 28}), y = torch::randint(0, 10, {42});
  models::TestSums expected, actual;
  reference_model->eval();
  reference_model->score(x, y, expected);
  trainer.score(x, y, actual);
  EXPECT_EQ(actual.samples, 42.0);
  EXPECT_NEAR(actual.loss, expected.loss, 1e-4);
  EXPECT_EQ(actual.correct, expected.correct);
  EXPECT_EQ(comm.take_stats().bytes_sent, 0);  // evaluation is bookkeeping
  const BoundaryStats& side = trainer.evaluation_boundaries();
  EXPECT_EQ(comm.rank() == 0 ? side.bytes_sent : side.bytes_received, 42 * kBoundaryWidth * 4);
}

TEST(pipeline_gpipe, AMissingSenderTimesOutWithAClearError) {
  comm::MpiCommunicator comm;
  PipelineOptions opts = options(4);
  opts.receive_timeout_s = 0.3;
  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, {{0, 1}, {1, 3}}, comm, opts);
  if (comm.rank() == 1) {
    try {
      trainer.train_step(batches()[0].x, batches()[0].y);
      ADD_FAILURE() << "no timeout";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("rank 1 received nothing from rank 0"), std::string::npos) << e.what();
    }
  }
  comm.barrier();
}

TEST(pipeline_gpipe, RejectsBadArguments) {
  comm::MpiCommunicator comm;
  const models::StagedModel model = mlp();
  EXPECT_THROW(PipelineTrainer(model, kFashion, {{0, 3}}, comm, options(4)), std::invalid_argument);
  EXPECT_THROW(PipelineTrainer(model, kFashion, {{0, 1}, {2, 3}}, comm, options(4)), std::invalid_argument);
  EXPECT_THROW(PipelineTrainer(model, kFashion, {{0, 1}, {1, 4}}, comm, options(4)), std::invalid_argument);
  EXPECT_THROW(PipelineTrainer(model, kFashion, {{0, 1}, {1, 3}}, comm, options(0)), std::invalid_argument);
  EXPECT_THROW(PipelineTrainer(model, kFashion, {{0, 1}, {1, 3}}, comm, options(4, {"zip"})), std::invalid_argument);
  EXPECT_THROW(PipelineTrainer(model, kFashion, {{0, 1}, {1, 3}}, comm, options(4, {}, "gpipe")), std::invalid_argument);
  EXPECT_THROW(PipelineTrainer(model, kFashion, {{0, 1}, {1, 3}}, comm, options(4, {"sortquant", 7, 0})),
               std::invalid_argument);
  PipelineTrainer trainer(model, kFashion, {{0, 1}, {1, 3}}, comm, options(4));
  const torch::Tensor x = torch::zeros({0, 1, 28, 28}), y = torch::zeros({0}, torch::kInt64);
  EXPECT_THROW(trainer.train_step(x, y), std::invalid_argument);
}

TEST(pipeline_gpipe, ABatchSmallerThanChunksRunsInFewerMicroBatches) {
  comm::MpiCommunicator comm;
  const models::StagedModel reference_model = mlp();
  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, {{0, 1}, {1, 3}}, comm, options(4));
  torch::manual_seed(13);
  const torch::Tensor x = torch::randn({3, 1, 28, 28}), y = torch::randint(0, 10, {3});
  EXPECT_NEAR(trainer.train_step(x, y), reference_model->training_loss(x, y).item<double>(), 1e-5);
  EXPECT_EQ(trainer.stage_stats().peak_live_micro_batches, 3);
}

TEST(pipeline_1f1b, EqualsFillDrain) {
  comm::MpiCommunicator comm;
  const StageSplit split{{0, 1}, {1, 3}};
  for (const int64_t chunks : {1, 4, 8}) {
    SCOPED_TRACE(std::to_string(chunks) + " chunks");
    const Trained fill_drain = pipelined(comm, split, options(chunks));
    const Trained one_f_one_b = pipelined(comm, split, options(chunks, {}, "1f1b"));
    expect_losses_near(one_f_one_b.losses, fill_drain.losses, 1e-5);
    expect_owned_weights_equal(one_f_one_b, fill_drain);
  }
}

// Zero bubble (zb_h1): a rank sends the input gradient before it computes the weight gradients, which it adds to
// .grad in micro-batch order from the same autograd ops as 1F1B's backwards: the same losses and weights bit for
// bit, for both splits, with float32 and sortquant boundaries.
TEST(pipeline_zb_h1, EqualsOneFOneBBitForBit) {
  comm::MpiCommunicator comm;
  for (const StageSplit& split : every_split(comm.size()))
    for (const int64_t chunks : {1, 4, 8})
      for (const BoundaryCodec& codec : {BoundaryCodec{}, BoundaryCodec{"sortquant", 8, 2}}) {
        SCOPED_TRACE("last group starts at stage " + std::to_string(split.back().first) + ", " +
                     std::to_string(chunks) + " chunks, boundaries " + codec.method);
        const Trained one_f_one_b = pipelined(comm, split, options(chunks, codec, "1f1b"));
        const Trained zero_bubble = pipelined(comm, split, options(chunks, codec, "zb_h1"));
        EXPECT_EQ(zero_bubble.losses, one_f_one_b.losses);
        ASSERT_EQ(zero_bubble.owned, one_f_one_b.owned);
        for (const std::string& name : zero_bubble.owned)
          EXPECT_TRUE(torch::equal(zero_bubble.model->named_parameters()[name],
                                   one_f_one_b.model->named_parameters()[name]))
              << name;
      }
}

TEST(pipeline_zb_h1, EveryRankHoldsAtMostTwoMicroBatches) {
  // Stage 1 defers one weight pass, so it holds two micro-batches as stage 0 does (1F1B: one).
  comm::MpiCommunicator comm;
  Trained run{{}, mlp(), {}};
  PipelineTrainer trainer(run.model, kFashion, {{0, 1}, {1, 3}}, comm, options(8, {}, "zb_h1"));
  for (const Batch& b : batches()) trainer.train_step(b.x, b.y);
  EXPECT_EQ(trainer.stage_stats().peak_live_micro_batches, 2);
  EXPECT_EQ(trainer.stage_stats().steps, kSteps);
  EXPECT_GT(trainer.stage_stats().compute_seconds, 0.0);
  // The same boundary traffic as every schedule: one activation and one gradient per micro-batch.
  const BoundaryStats& side = comm.rank() == 0 ? trainer.next_boundary() : trainer.previous_boundary();
  EXPECT_EQ(side.messages_sent, kSteps * 8);
  EXPECT_EQ(side.messages_received, kSteps * 8);
  EXPECT_EQ(side.bytes_sent, kSteps * kBatch * kBoundaryWidth * 4);
}

// Memory: the C heap on the CPU, the caching allocator's peak on CUDA (train::ActivationMemory).
TEST_P(PipelineOn, OneFOneBHoldsFewerMicroBatchesAndLessMemoryThanFillDrain) {
  comm::MpiCommunicator comm;
  const StageSplit split{{0, 1}, {1, 3}};
  torch::manual_seed(14);
  const torch::Tensor x = torch::randn({512, 1, 28, 28}).to(device()), y = torch::randint(0, 10, {512}).to(device());
  StageStats stats[2];
  int s = 0;
  for (const char* schedule : {"fill_drain", "1f1b"}) {
    const models::StagedModel model = mlp();
    model->to(device());
    PipelineTrainer trainer(model, kFashion, split, comm, options(8, {}, schedule));
    for (int step = 0; step < 3; ++step) trainer.train_step(x, y);
    stats[s++] = trainer.stage_stats();
  }
  EXPECT_EQ(stats[0].peak_live_micro_batches, 8);
  EXPECT_EQ(stats[1].peak_live_micro_batches, comm.rank() == 0 ? 2 : 1);  // stages ahead + 1
  EXPECT_GT(stats[1].peak_activation_bytes, 0);
  EXPECT_LT(stats[1].peak_activation_bytes, stats[0].peak_activation_bytes);
  EXPECT_EQ(stats[0].steps, 3);
  EXPECT_GT(stats[0].compute_seconds, 0.0);
  EXPECT_LE(stats[0].compute_seconds, stats[0].step_seconds);
}

IDDL_ON_DEVICES(PipelineOn);

}  // namespace
}  // namespace iddl::pipeline
