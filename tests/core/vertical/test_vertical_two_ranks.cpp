// Run under `mpirun -np 2`: the vertical axis against references every rank builds locally with the
// same seeds. Partition: the logits are the sum of both parts, the same on both ranks, the distributed
// gradient is the centralized one, one allreduce of [N, classes] per training forward. Ensemble: the
// mean of the members, their own accuracies, a linear combiner that starts as the mean and is fitted
// identically on both ranks; end_to_end training gives the gradients of one process holding both
// members and the combiner, and keeps the combiner the same on both ranks. On every device: the partition's
// communication time is its allreduce, not the forward before it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/comm/device_timer.hpp"
#include "core/comm/make_communicator.hpp"
#include "core/comm/mpi_communicator.hpp"
#include "core/models/model.hpp"
#include "core/vertical/ensemble_model.hpp"
#include "core/vertical/partition_model.hpp"
#include "tests/support/devices.hpp"

namespace iddl::vertical {
namespace {

namespace F = torch::nn::functional;
using comm::Traffic;
using models::InputShape;
using models::ModelPart;
using models::StagedModel;
using models::TestSums;

const InputShape kFashion{1, 28, 28, 10};
constexpr int64_t kBatch = 16;

// Partition part `index` of 2 of an MLP 784-48-24-10 (seed 100 + index; the output bias on part 0).
StagedModel partition_part(int64_t index) {
  torch::manual_seed(100 + index);
  return models::make_model({"mlp", {48, 24}, {}, ModelPart{index, 2, index == 0}}, kFashion);
}

// Ensemble member `index` of 2: half-width MLP 784-48-24-10 with its own output bias (seed 200 + index).
StagedModel ensemble_member(int64_t index) {
  torch::manual_seed(200 + index);
  return models::make_model({"mlp", {48, 24}, {}, ModelPart{index, 2}}, kFashion);
}

struct Batch {
  torch::Tensor x, y;
};

// The same batch on every rank (drawn from `seed`).
Batch batch(uint64_t seed, int64_t n = kBatch) {
  torch::manual_seed(seed);
  return {torch::randn({n, 1, 28, 28}), torch::randint(0, 10, {n}, torch::kInt64)};
}

// `t` of every rank, in rank order (bookkeeping traffic).
std::vector<torch::Tensor> gather(comm::Communicator& comm, const torch::Tensor& t) {
  const std::vector<torch::Tensor> flat = comm.allgather(t.detach().contiguous().view(-1), Traffic::Bookkeeping);
  std::vector<torch::Tensor> out;
  for (const auto& f : flat) out.push_back(f.view(t.sizes()));
  return out;
}

// Whether `t` is bitwise the same on both ranks.
bool same_on_both_ranks(comm::Communicator& comm, const torch::Tensor& t) {
  const auto all = gather(comm, t);
  return all.size() == 2 && torch::equal(all[0], all[1]);
}

torch::Tensor parameter(torch::nn::Module& module, const std::string& name) {
  for (const auto& item : module.named_parameters())
    if (item.key() == name) return item.value();
  ADD_FAILURE() << "no parameter " << name;
  return {};
}

double correct(const torch::Tensor& logits, const torch::Tensor& y) {
  return logits.argmax(1).eq(y).sum().item<double>();
}

TEST(vertical_partition, ForwardIsTheSumOfBothPartsOnBothRanks) {
  comm::MpiCommunicator comm;
  ASSERT_EQ(comm.size(), 2);
  const int rank = comm.rank();
  auto model = std::make_shared<PartitionModelImpl>(partition_part(rank), comm);
  StagedModel ref0 = partition_part(0), ref1 = partition_part(1);
  EXPECT_TRUE(model->collective());
  EXPECT_EQ(model->sgd_parameters().size(), model->part().parameters().size());
  // Part 0 has the output bias, part 1 not.
  EXPECT_EQ(model->parameters().size(), rank == 0 ? 6u : 5u);

  const Batch b = batch(7);
  const torch::Tensor expected = ref0->forward(b.x) + ref1->forward(b.x);
  for (const bool train : {true, false}) {
    model->train(train);
    comm.take_stats();
    const torch::Tensor logits = model->forward(b.x);
    const auto stats = comm.take_stats();
    SCOPED_TRACE(train ? "train" : "eval");
    ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{kBatch, 10}));
    EXPECT_TRUE(torch::allclose(logits, expected, 1e-5, 1e-6)) << (logits - expected).abs().max().item<double>();
    EXPECT_TRUE(same_on_both_ranks(comm, logits));
    // One allreduce of the partial logits: batch * classes floats; training traffic only.
    EXPECT_EQ(stats.bytes_sent, train ? kBatch * 10 * 4 : 0);
    EXPECT_EQ(stats.bytes_received, train ? kBatch * 10 * 4 : 0);
  }
  // Neither part alone gives the logits.
  EXPECT_FALSE(torch::allclose(model->forward(b.x), model->part().forward(b.x)));
}

TEST(vertical_partition, DistributedGradientEqualsTheCentralizedOne) {
  comm::MpiCommunicator comm;
  const int rank = comm.rank();
  auto model = std::make_shared<PartitionModelImpl>(partition_part(rank), comm);
  model->train();
  StagedModel ref0 = partition_part(0), ref1 = partition_part(1);
  std::vector<torch::Tensor> ref_parameters = ref0->parameters();
  for (const auto& p : ref1->parameters()) ref_parameters.push_back(p);
  const torch::Tensor initial = model->part().parameters().front().detach().clone();

  torch::optim::SGD sgd(model->sgd_parameters(), torch::optim::SGDOptions(0.1));
  torch::optim::SGD ref_sgd(ref_parameters, torch::optim::SGDOptions(0.1));
  for (int step = 0; step < 3; ++step) {
    const Batch b = batch(1000 + step);
    sgd.zero_grad();
    comm.take_stats();
    const torch::Tensor loss = model->training_loss(b.x, b.y);
    EXPECT_EQ(comm.take_stats().bytes_sent, kBatch * 10 * 4) << "no traffic beyond the forward's allreduce";
    loss.backward();
    EXPECT_EQ(comm.take_stats().bytes_sent, 0) << "backward needs no communication";
    EXPECT_TRUE(same_on_both_ranks(comm, loss.detach().reshape({1})));
    sgd.step();

    ref_sgd.zero_grad();
    const torch::Tensor ref_loss = F::cross_entropy(ref0->forward(b.x) + ref1->forward(b.x), b.y);
    EXPECT_NEAR(loss.item<double>(), ref_loss.item<double>(), 1e-5);
    ref_loss.backward();
    ref_sgd.step();
  }
  StagedModel& own_ref = rank == 0 ? ref0 : ref1;
  const auto own = model->part().named_parameters();
  const auto ref = own_ref->named_parameters();
  ASSERT_EQ(own.size(), ref.size());
  for (const auto& item : own) {
    const torch::Tensor expected = ref[item.key()];
    EXPECT_TRUE(torch::allclose(item.value(), expected, 1e-5, 1e-6))
        << item.key() << " differs by " << (item.value() - expected).abs().max().item<double>();
  }
  EXPECT_FALSE(torch::equal(model->part().parameters().front(), initial)) << "the steps moved the weights";
  // After training the logits are still the sum of the (reference-trained) parts.
  const Batch b = batch(7);
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(model->forward(b.x), ref0->forward(b.x) + ref1->forward(b.x), 1e-5, 1e-5));
}

TEST(vertical_ensemble, MeanCombinesTheMembersAndReportsTheirAccuracies) {
  comm::MpiCommunicator comm;
  const int rank = comm.rank();
  auto model = std::make_shared<EnsembleModelImpl>(ensemble_member(rank), comm, "mean", 10);
  StagedModel ref0 = ensemble_member(0), ref1 = ensemble_member(1);
  EXPECT_TRUE(model->collective());
  EXPECT_EQ(model->combiner_parameters(), 0);
  EXPECT_EQ(model->combiner_flops(), 0);
  EXPECT_EQ(model->sgd_parameters().size(), model->parameters().size());  // mean: nothing excluded

  torch::NoGradGuard no_grad;
  const Batch b = batch(9, 64);
  const torch::Tensor l0 = ref0->forward(b.x), l1 = ref1->forward(b.x);
  const torch::Tensor mean = (l0 + l1) / 2;

  model->train();  // training: this member alone
  EXPECT_TRUE(torch::equal(model->forward(b.x), rank == 0 ? l0 : l1));

  model->eval();
  comm.take_stats();
  const torch::Tensor logits = model->forward(b.x);
  EXPECT_TRUE(torch::allclose(logits, mean, 1e-6, 1e-7));
  EXPECT_TRUE(same_on_both_ranks(comm, logits));

  TestSums sums;
  model->score(b.x, b.y, sums);
  EXPECT_EQ(comm.take_stats().bytes_sent, 0) << "evaluation is bookkeeping";
  EXPECT_EQ(sums.samples, 64);
  EXPECT_EQ(sums.correct, correct(mean, b.y));
  EXPECT_NEAR(sums.loss, F::cross_entropy(mean, b.y, F::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>(),
              1e-3);
  ASSERT_EQ(sums.extra.count("member_accuracy.0"), 1u);
  ASSERT_EQ(sums.extra.count("member_accuracy.1"), 1u);
  EXPECT_EQ(sums.extra.at("member_accuracy.0"), correct(l0, b.y));
  EXPECT_EQ(sums.extra.at("member_accuracy.1"), correct(l1, b.y));
  const torch::Tensor reported =
      torch::tensor({sums.extra.at("member_accuracy.0"), sums.extra.at("member_accuracy.1"), sums.correct},
                    torch::kFloat64);
  EXPECT_TRUE(same_on_both_ranks(comm, reported));
  // fit_combiner does nothing for the mean.
  model->fit_combiner(b.x, b.y, 16, 0.1, 1);
  EXPECT_EQ(comm.take_stats().bytes_sent, 0);
  EXPECT_TRUE(torch::allclose(model->forward(b.x), mean, 1e-6, 1e-7));
}

TEST(vertical_ensemble, LinearCombinerStartsAsTheMeanAndIsFittedIdenticallyOnBothRanks) {
  comm::MpiCommunicator comm;
  const int rank = comm.rank();
  auto model = std::make_shared<EnsembleModelImpl>(ensemble_member(rank), comm, "linear", 10);
  StagedModel ref0 = ensemble_member(0), ref1 = ensemble_member(1);
  EXPECT_EQ(model->combiner_parameters(), 2 * 10 * 10 + 10);
  EXPECT_EQ(model->combiner_flops(), 2 * 10 * 10 + 10);
  // sgd_parameters: the member's only, not the combiner.
  const torch::Tensor weight = parameter(*model, "combiner.weight"), bias = parameter(*model, "combiner.bias");
  const auto sgd = model->sgd_parameters();
  EXPECT_EQ(sgd.size(), model->member().parameters().size());
  EXPECT_EQ(model->parameters().size(), sgd.size() + 2);
  for (const auto& p : sgd) {
    EXPECT_FALSE(p.is_same(weight));
    EXPECT_FALSE(p.is_same(bias));
  }

  // A learnable rule on 256 samples: the class member 0 ranks highest relative to member 1 (which the
  // mean cannot express, a linear layer over both members' logits can).
  torch::Tensor images, labels;
  {
    torch::NoGradGuard no_grad;
    images = batch(21, 256).x;
    labels = (ref0->forward(images) - ref1->forward(images)).argmax(1);
  }
  const Batch b = batch(9, 32);
  model->eval();
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor mean = (ref0->forward(b.x) + ref1->forward(b.x)) / 2;
    EXPECT_TRUE(torch::allclose(model->forward(b.x), mean, 1e-6, 1e-7)) << "at construction: the mean";
  }
  auto loss_on_data = [&] {
    TestSums sums;
    model->score(images, labels, sums);
    return sums.loss / sums.samples;
  };
  const double before = loss_on_data();
  const torch::Tensor initial_weight = weight.detach().clone();

  model->train();
  comm.take_stats();
  for (uint64_t pass = 0; pass < 5; ++pass) model->fit_combiner(images, labels, 32, 0.5, 40 + pass);
  // Each batch gathers the members' logits as training traffic: 256 samples * 10 classes * 4 bytes per pass.
  EXPECT_EQ(comm.take_stats().bytes_sent, 5 * 256 * 10 * 4);
  EXPECT_TRUE(model->is_training());
  EXPECT_TRUE(model->member().is_training()) << "fit_combiner restores the member's mode";

  EXPECT_FALSE(torch::equal(weight, initial_weight));
  EXPECT_TRUE(same_on_both_ranks(comm, weight));
  EXPECT_TRUE(same_on_both_ranks(comm, bias));
  model->eval();
  const double after = loss_on_data();
  EXPECT_LT(after, before) << "combiner loss " << before << " -> " << after;
  EXPECT_TRUE(same_on_both_ranks(comm, torch::tensor({before, after}, torch::kFloat64)));
  // The members were not touched.
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(model->member().forward(b.x), (rank == 0 ? ref0 : ref1)->forward(b.x)));
}

// training = "end_to_end" (seed 000's resnet_vertical_ensemble.py): one step on 2 ranks gives each
// member and the combiner the gradients of one LibTorch model in one process that holds both members
// and the combiner and takes one loss on the combined logits; SGD then keeps the combiner the same on
// both ranks without exchanging its gradients.
TEST(vertical_ensemble, EndToEndGradientsEqualOneProcessHoldingBothMembersAndTheCombiner) {
  comm::MpiCommunicator comm;
  const int rank = comm.rank();
  auto model = std::make_shared<EnsembleModelImpl>(ensemble_member(rank), comm, "linear", 10, "end_to_end");
  EXPECT_TRUE(model->end_to_end());
  EXPECT_EQ(model->sgd_parameters().size(), model->member().parameters().size() + 2) << "member and combiner";
  const torch::Tensor weight = parameter(*model, "combiner.weight"), bias = parameter(*model, "combiner.bias");

  // The reference: both members and a combiner 20 -> 10 in this process. Both combiners get the same
  // random weights (seed 77), so the members' gradients are not merely half the mean's.
  StagedModel ref0 = ensemble_member(0), ref1 = ensemble_member(1);
  torch::nn::Linear combiner(20, 10);
  {
    torch::NoGradGuard no_grad;
    torch::manual_seed(77);
    const torch::Tensor w = torch::randn({10, 20}) * 0.3, b0 = torch::randn({10}) * 0.1;
    weight.copy_(w);
    bias.copy_(b0);
    combiner->weight.copy_(w);
    combiner->bias.copy_(b0);
  }
  const Batch b = batch(31);
  model->train();
  comm.take_stats();
  model->training_loss(b.x, b.y).backward();
  // Forward gathers the members' logits as training traffic: 16 samples * 10 classes * 4 bytes.
  EXPECT_EQ(comm.take_stats().bytes_sent, kBatch * 10 * 4);
  F::cross_entropy(combiner(torch::cat({ref0->forward(b.x), ref1->forward(b.x)}, 1)), b.y).backward();

  const auto own = model->member().parameters(), expected = (rank == 0 ? ref0 : ref1)->parameters();
  ASSERT_EQ(own.size(), expected.size());
  for (size_t i = 0; i < own.size(); ++i)
    EXPECT_TRUE(torch::allclose(own[i].grad(), expected[i].grad(), 1e-5, 1e-6)) << "member parameter " << i;
  EXPECT_TRUE(torch::allclose(weight.grad(), combiner->weight.grad(), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(bias.grad(), combiner->bias.grad(), 1e-5, 1e-6));
  EXPECT_GT(weight.grad().abs().sum().item<double>(), 0.0);

  // Training: SGD over sgd_parameters on each rank alone; the combiner stays bitwise the same.
  torch::optim::SGD sgd(model->sgd_parameters(), torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(5e-4));
  const torch::Tensor before = weight.detach().clone();
  for (uint64_t step = 0; step < 5; ++step) {
    const Batch next = batch(50 + step);
    sgd.zero_grad();
    model->training_loss(next.x, next.y).backward();
    sgd.step();
  }
  EXPECT_FALSE(torch::equal(weight, before));
  EXPECT_TRUE(same_on_both_ranks(comm, weight));
  EXPECT_TRUE(same_on_both_ranks(comm, bias));
  EXPECT_FALSE(same_on_both_ranks(comm, model->member().parameters()[0])) << "each rank trains its own member";
}

TEST(vertical_ensemble, EndToEndNeedsALinearCombiner) {
  comm::MpiCommunicator comm;
  EXPECT_THROW(EnsembleModelImpl(ensemble_member(comm.rank()), comm, "mean", 10, "end_to_end"), std::invalid_argument);
  EXPECT_THROW(EnsembleModelImpl(ensemble_member(comm.rank()), comm, "linear", 10, "jointly"), std::invalid_argument);
}

TEST(vertical_ensemble, UnknownCombineThrows) {
  comm::MpiCommunicator comm;
  EXPECT_THROW(EnsembleModelImpl(ensemble_member(comm.rank()), comm, "median", 10), std::invalid_argument);
}

class PartitionOnDevice : public iddl::testing::OnDevice {};

// Each rank alone in its communicator, so the allreduce waits for no peer: the forward of a wide part takes
// most of the call, and none of it is communication (on a GPU the forward's kernels are still running when
// the allreduce starts; NCCL is set up in the first call).
TEST_P(PartitionOnDevice, CommunicationTimeExcludesTheForward) {
  const auto world = comm::make_communicator();
  const auto alone = world->split(world->rank(), 0);
  const bool cuda = device().is_cuda();
  const int64_t width = cuda ? 4096 : 1024, rows = cuda ? 16384 : 1024;
  torch::manual_seed(5);
  auto model = std::make_shared<PartitionModelImpl>(
      models::make_model({"mlp", {width, width}, {}, ModelPart{world->rank(), 2, world->rank() == 0}}, kFashion),
      *alone);
  model->to(device());
  model->train();
  const torch::Tensor x = torch::randn({rows, 1, 28, 28}, on_device());
  torch::NoGradGuard no_grad;
  for (int call = 0; call < 2; ++call) {  // the first call sets up NCCL and the kernels
    alone->take_stats();
    const comm::DeviceTimer timer(device());
    const torch::Tensor logits = model->forward(x);
    const double forward_s = timer.seconds();
    const auto stats = alone->take_stats();
    SCOPED_TRACE("call " + std::to_string(call));
    EXPECT_EQ(stats.bytes_sent, 0) << "an allreduce over one rank sends nothing";
    EXPECT_LT(stats.seconds, 0.5 * forward_s) << "communication " << stats.seconds << " s of a forward of "
                                              << forward_s << " s";
  }
}

IDDL_ON_DEVICES(PartitionOnDevice);

}  // namespace
}  // namespace iddl::vertical
