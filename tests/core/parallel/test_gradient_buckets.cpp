// Run under `mpirun -np 2`: sync's gradient buckets, summed while backward runs and applied by one flat SGD
// update, give the weights of one MPI_Allreduce of a flattened copy with the
// per-tensor optimizer (sync before buckets) and of one rank on the combined batch, whatever the bucket size, and
// count exactly the bytes of one dense allreduce a step; with the gradients in shared memory, bit for bit those of
// MPI_Allreduce.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "core/comm/mpi_communicator.hpp"
#include "core/parallel/gradient_buckets.hpp"
#include "core/parallel/model_state.hpp"
#include "core/parallel/single_strategy.hpp"
#include "core/parallel/sync_strategy.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/flat_parameters.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/train/trainer.hpp"
#include "tests/core/parallel/strategy_test_support.hpp"

namespace {

using iddl::comm::MpiCommunicator;
using iddl::comm::Traffic;

// Sync as it was before buckets: the gradients copied into one flat buffer, scaled by the rank's share,
// summed in one blocking MPI_Allreduce and copied back; the trainer's per-tensor optimizer updates them.
class FlatCopySync : public iddl::train::TrainingHooks {
 public:
  explicit FlatCopySync(MpiCommunicator& comm) : comm_(comm) {}
  void on_start(torch::nn::Module& model) override { iddl::parallel::broadcast_from_rank0(model, comm_); }
  void after_backward(torch::nn::Module& model, int64_t local_samples, int64_t global_samples) override {
    const auto parameters = model.parameters();
    torch::Tensor flat = iddl::train::flatten_gradients(parameters);
    flat.mul_(static_cast<double>(local_samples) / static_cast<double>(global_samples));
    MPI_Allreduce(MPI_IN_PLACE, flat.data_ptr(), static_cast<int>(flat.numel()), MPI_FLOAT, MPI_SUM, comm_.handle());
    iddl::train::unflatten_into_gradients(flat, parameters);
  }

 private:
  MpiCommunicator& comm_;
};

iddl::train::TrainOptions momentum_sgd(int64_t batch, const std::string& scope = "rank") {
  iddl::train::TrainOptions options;
  options.epochs = 2;
  options.batch_size = batch;
  options.batch_scope = scope;
  options.lr = 0.05;
  options.momentum = 0.9;
  options.nesterov = true;
  options.weight_decay = 1e-4;
  return options;
}

iddl::models::Model lenet(uint64_t seed) {
  torch::manual_seed(seed);
  return iddl::models::make_model({"lenet", {}}, {1, 28, 28, 10});
}

struct Trained {
  torch::Tensor weights;
  iddl::comm::CommStats traffic;  // of both epochs
  int64_t steps = 0;
};

// Two epochs of `model` on `data` with `hooks` (rank `comm`'s part, or alone without `comm`).
Trained train(iddl::models::Model model, iddl::train::TrainingHooks& hooks, const iddl::train::TrainOptions& options,
              MpiCommunicator* comm) {
  const auto data = iddl::testing::synthetic_data(300, 64);  // 300: the last batch is short
  iddl::train::Trainer trainer(model, options, torch::kCPU, comm, hooks);
  iddl::train::EpochDriver driver(trainer, data, options, torch::kCPU);
  Trained out;
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) out.traffic += driver.run_epoch(epoch).comm;
  const int64_t global_batch = options.batch_scope == "global" ? options.batch_size
                                                               : options.batch_size * (comm ? comm->size() : 1);
  out.steps = options.epochs * ((300 + global_batch - 1) / global_batch);
  out.weights = iddl::train::flatten_values(model->parameters());
  return out;
}

std::string max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return "max difference " + std::to_string((a - b).abs().max().item<double>());
}

constexpr int64_t kOneBucket = std::numeric_limits<int32_t>::max();

}  // namespace

// Buckets of one tensor each, of 4 KiB, 64 KiB and one bucket for all: the weights of the flat copy's
// sync and of one rank on the combined batch; bytes of one dense allreduce of every parameter per step.
TEST(GradientBuckets, EveryBucketSizeGivesTheWeightsOfOneFlatAllreduce) {
  MpiCommunicator comm;
  ASSERT_EQ(comm.size(), 2);
  for (const char* net : {"mlp", "lenet"}) {
    auto make = [&](uint64_t seed) {
      return std::string(net) == "mlp" ? iddl::testing::small_mlp(seed) : lenet(seed);
    };
    const auto options = momentum_sgd(16);
    FlatCopySync flat_copy(comm);
    const Trained reference = train(make(11 + comm.rank()), flat_copy, options, &comm);
    const int64_t parameters = reference.weights.numel();
    for (const int64_t bucket_bytes : {int64_t{0}, int64_t{4096}, int64_t{65536}, kOneBucket}) {
      SCOPED_TRACE(std::string(net) + ", buckets of " + std::to_string(bucket_bytes) + " bytes");
      iddl::parallel::SyncStrategy sync(comm, nullptr, bucket_bytes);
      const Trained bucketed = train(make(11 + comm.rank()), sync, options, &comm);  // different starts
      EXPECT_TRUE(iddl::testing::same_on_every_rank(bucketed.weights, comm));
      ASSERT_NE(sync.flat_parameters(), nullptr);  // the weights stayed views into the flat buffer
      EXPECT_NO_THROW(sync.flat_parameters()->check_in_place());
      EXPECT_TRUE(torch::allclose(bucketed.weights, reference.weights, 1e-6, 1e-7))
          << max_difference(bucketed.weights, reference.weights);
      // A ring allreduce of b bytes on 2 ranks sends and receives b bytes; each bucket's sum is one.
      EXPECT_EQ(bucketed.traffic.bytes_sent, bucketed.steps * parameters * 4);
      EXPECT_EQ(bucketed.traffic.bytes_received, bucketed.steps * parameters * 4);
      EXPECT_GE(bucketed.traffic.total_seconds, bucketed.traffic.seconds);
      EXPECT_GT(bucketed.traffic.seconds, 0.0);
    }
    if (comm.rank() == 0) {
      auto combined = momentum_sgd(32);
      iddl::parallel::SingleStrategy alone;
      const Trained single = train(make(11), alone, combined, nullptr);
      EXPECT_TRUE(torch::allclose(reference.weights, single.weights, 1e-4, 1e-5))
          << net << ": " << max_difference(reference.weights, single.weights);
    }
  }
}

// batch_scope "global", 63 samples a step split 32 + 31: each rank's buckets are scaled by its own share.
TEST(GradientBuckets, UnequalSharesWeighTheirBuckets) {
  MpiCommunicator comm;
  const auto options = momentum_sgd(63, "global");
  FlatCopySync flat_copy(comm);
  const Trained reference = train(iddl::testing::small_mlp(5), flat_copy, options, &comm);
  iddl::parallel::SyncStrategy sync(comm, nullptr, 0);
  const Trained bucketed = train(iddl::testing::small_mlp(5), sync, options, &comm);
  EXPECT_TRUE(torch::allclose(bucketed.weights, reference.weights, 1e-6, 1e-7))
      << max_difference(bucketed.weights, reference.weights);
}

// The buckets, last parameter first, hold at most the size; backward starts every sum but the last bucket's
// itself (the gradients are views into the buckets), finish() waits and sums the last, and the gradients then
// hold the sums.
TEST(GradientBuckets, BackwardStartsTheSumsOfBucketsOfViews) {
  MpiCommunicator comm;
  auto model = iddl::testing::small_mlp(3);  // 784-48-24-10: weights and biases of three layers
  const auto parameters = model->parameters();
  ASSERT_EQ(parameters.size(), 6u);
  const iddl::train::FlatParameters flat(parameters);
  using Sizes = std::vector<int64_t>;
  EXPECT_EQ(iddl::parallel::GradientBuckets(flat, 0, true, comm).bucket_sizes(), Sizes(6, 1));
  EXPECT_EQ(iddl::parallel::GradientBuckets(flat, kOneBucket, true, comm).bucket_sizes(), Sizes{6});
  // 40 + 960 + 96 bytes of the last layer and the second's bias; the larger tensors alone.
  EXPECT_EQ(iddl::parallel::GradientBuckets(flat, 4096, true, comm).bucket_sizes(), (Sizes{3, 1, 1, 1}));
  // + 4608 + 192 bytes: the second layer's weight and the first's bias fill 5896 bytes exactly.
  EXPECT_EQ(iddl::parallel::GradientBuckets(flat, 5896, true, comm).bucket_sizes(), (Sizes{5, 1}));
  EXPECT_EQ(iddl::parallel::GradientBuckets(flat, 5895, true, comm).bucket_sizes(), (Sizes{4, 1, 1}));

  iddl::parallel::GradientBuckets buckets(flat, 4096, true, comm);
  torch::manual_seed(100 + comm.rank());  // different gradients on the ranks
  const torch::Tensor x = torch::randn({8, 1, 28, 28});
  const torch::Tensor y = torch::randint(10, {8});
  buckets.prepare(0.5);
  model->training_loss(x, y).backward();
  EXPECT_EQ(buckets.started(), 3);  // before finish(): backward started all but the last
  buckets.finish();
  for (size_t k = 0; k < parameters.size(); ++k) {
    torch::Tensor expected = parameters[k].grad().clone();
    comm.broadcast(expected, 0, Traffic::Bookkeeping);
    EXPECT_TRUE(torch::equal(parameters[k].grad(), expected)) << "parameter " << k << " was not summed";
  }

  iddl::parallel::GradientBuckets after_backward(flat, 4096, false, comm);  // e.g. a masked model's
  after_backward.prepare(0.5);
  model->training_loss(x, y).backward();
  EXPECT_EQ(after_backward.started(), 0);
  after_backward.finish();
  EXPECT_EQ(after_backward.started(), 4);
}

namespace {

// The path of the file mapped at `address` in this process ("" when none is), from /proc/self/maps.
std::string mapped_file_at(const void* address) {
  std::ifstream maps("/proc/self/maps");
  const auto at = reinterpret_cast<uintptr_t>(address);
  for (std::string line; std::getline(maps, line);) {
    std::istringstream fields(line);
    std::string range, permissions, offset, device, inode, path;
    fields >> range >> permissions >> offset >> device >> inode >> path;
    const size_t dash = range.find('-');
    const uintptr_t begin = std::stoull(range.substr(0, dash), nullptr, 16);
    const uintptr_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (begin <= at && at < end) return path;
  }
  return "";
}

}  // namespace

// Ranks of one machine: sync's flat gradients live in shared memory, the last bucket is summed there, and the weights
// and bytes are those of the same training with IDDL_SHARED_SUM=0 (MPI_Allreduce), bit for bit.
TEST(GradientBuckets, SharedMemorySumGivesTheWeightsAndBytesOfMpiAllreduce) {
  MpiCommunicator comm;
  for (const char* net : {"mlp", "lenet"}) {
    SCOPED_TRACE(net);
    auto make = [&] { return std::string(net) == "mlp" ? iddl::testing::small_mlp(21) : lenet(21); };
    const auto options = momentum_sgd(16);
    iddl::parallel::SyncStrategy shared(comm);
    const Trained in_shared_memory = train(make(), shared, options, &comm);
    ASSERT_NE(shared.flat_parameters(), nullptr);
    EXPECT_NE(mapped_file_at(shared.flat_parameters()->gradients().data_ptr()).find("/dev/shm/iddl-sum-"),
              std::string::npos);
    ASSERT_EQ(setenv("IDDL_SHARED_SUM", "0", 1), 0);
    iddl::parallel::SyncStrategy by_mpi(comm);
    const Trained with_mpi = train(make(), by_mpi, options, &comm);
    ASSERT_EQ(unsetenv("IDDL_SHARED_SUM"), 0);
    EXPECT_EQ(mapped_file_at(by_mpi.flat_parameters()->gradients().data_ptr()).find("/dev/shm/"), std::string::npos);
    EXPECT_TRUE(torch::equal(in_shared_memory.weights, with_mpi.weights))
        << max_difference(in_shared_memory.weights, with_mpi.weights);
    EXPECT_EQ(in_shared_memory.traffic.bytes_sent, with_mpi.traffic.bytes_sent);
    EXPECT_EQ(in_shared_memory.traffic.bytes_received, with_mpi.traffic.bytes_received);
    EXPECT_TRUE(iddl::testing::same_on_every_rank(in_shared_memory.weights, comm));
  }
}
