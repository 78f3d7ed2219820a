// Run under `mpirun -np 2` and `-np 3`: SharedSum sums slices of buffers the ranks of this machine share, in place,
// to MPI_Allreduce's result (bit-equal on 2 ranks, the same on every rank), counts a ring allreduce's bytes, through
// the MPI and the run communicator; it refuses other types, IDDL_SHARED_SUM=0 and tensors outside its buffer, leaves
// no name in /dev/shm, and its memory lives as long as a tensor views it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/comm/make_communicator.hpp"
#include "core/comm/mpi_communicator.hpp"
#include "core/comm/shared_sum.hpp"
#include "tests/support/same_on_every_rank.hpp"

using iddl::comm::MpiCommunicator;
using iddl::comm::Traffic;

TEST(SharedSum, SumsSlicesInPlaceAsMpiAllreduceAndCountsRingBytes) {
  MpiCommunicator comm;
  ASSERT_GE(comm.size(), 2);
  for (const torch::ScalarType dtype : {torch::kFloat32, torch::kFloat64}) {
    SCOPED_TRACE(std::string(c10::toString(dtype)));
    const std::unique_ptr<iddl::comm::SharedSum> shared = comm.shared_sum(1000, dtype);
    ASSERT_NE(shared, nullptr);
    torch::Tensor local = shared->local();
    ASSERT_EQ(local.numel(), 1000);
    EXPECT_TRUE(local.eq(0).all().item<bool>());
    torch::manual_seed(7 + comm.rank());
    local.copy_(torch::randn({1000}, dtype));
    torch::Tensor expected_local = local.clone();
    // Whole, one value, fewer values than ranks, a count no rank count divides, the last value, nothing.
    const std::vector<std::pair<int64_t, int64_t>> slices{{0, 1000}, {3, 1}, {10, 2}, {17, 333}, {999, 1}, {500, 0}};
    for (const auto& [offset, count] : slices) {
      SCOPED_TRACE("values " + std::to_string(offset) + " + " + std::to_string(count));
      torch::Tensor slice = local.narrow(0, offset, count);
      torch::Tensor by_mpi = slice.clone();
      comm.allreduce_sum(by_mpi, Traffic::Bookkeeping);
      comm.take_stats();
      shared->allreduce_sum(slice, Traffic::Training);
      const iddl::comm::CommStats stats = comm.take_stats();
      const int64_t bytes = count * static_cast<int64_t>(c10::elementSize(dtype));
      EXPECT_EQ(stats.bytes_sent, iddl::comm::ring_allreduce_bytes(bytes, comm.size()));
      EXPECT_EQ(stats.bytes_received, stats.bytes_sent);
      EXPECT_EQ(stats.seconds > 0.0, count > 0);
      if (comm.size() == 2)
        EXPECT_TRUE(torch::equal(slice, by_mpi));  // a + b either way round
      else
        EXPECT_TRUE(torch::allclose(slice, by_mpi, 1e-6, 1e-6));
      EXPECT_TRUE(iddl::testing::same_on_every_rank(slice, comm));
      expected_local.narrow(0, offset, count).copy_(slice);
      EXPECT_TRUE(torch::equal(local, expected_local));  // nothing outside the slice changed
    }
  }
}

TEST(SharedSum, TheRunCommunicatorCountsItsSumsAtTakeStats) {
  const std::unique_ptr<iddl::comm::Communicator> run = iddl::comm::make_communicator();
  const std::unique_ptr<iddl::comm::SharedSum> shared = run->shared_sum(100, torch::kFloat32);
  ASSERT_NE(shared, nullptr) << run->backend();
  shared->local().fill_(1.0f + static_cast<float>(run->rank()));
  torch::Tensor all = shared->local();
  run->take_stats();
  shared->allreduce_sum(all, Traffic::Training);
  const float expected = static_cast<float>(run->size() * (run->size() + 1) / 2);
  EXPECT_TRUE(all.eq(expected).all().item<bool>());
  EXPECT_EQ(run->take_stats().bytes_sent, iddl::comm::ring_allreduce_bytes(400, run->size()));
}

TEST(SharedSum, RefusesOtherTypesTheSwitchAndTensorsOutsideItsBuffer) {
  MpiCommunicator comm;
  EXPECT_EQ(comm.shared_sum(10, torch::kInt64), nullptr);
  EXPECT_EQ(comm.shared_sum(0, torch::kFloat32), nullptr);
  ASSERT_EQ(setenv("IDDL_SHARED_SUM", "0", 1), 0);
  EXPECT_EQ(comm.shared_sum(10, torch::kFloat32), nullptr);
  ASSERT_EQ(unsetenv("IDDL_SHARED_SUM"), 0);
  const std::unique_ptr<iddl::comm::SharedSum> shared = comm.shared_sum(10, torch::kFloat32);
  ASSERT_NE(shared, nullptr);
  torch::Tensor elsewhere = torch::zeros({10});
  EXPECT_THROW(shared->allreduce_sum(elsewhere, Traffic::Training), std::invalid_argument);
  torch::Tensor as_double = shared->local().to(torch::kFloat64);
  EXPECT_THROW(shared->allreduce_sum(as_double, Traffic::Training), std::invalid_argument);
}

TEST(SharedSum, LeavesNoNameBehindAndItsMemoryLivesWithItsViews) {
  MpiCommunicator comm;
  torch::Tensor kept;
  {
    const std::unique_ptr<iddl::comm::SharedSum> shared = comm.shared_sum(4096, torch::kFloat32);
    ASSERT_NE(shared, nullptr);
    kept = shared->local().narrow(0, 4000, 96);
    kept.fill_(static_cast<float>(comm.rank() + 1));
  }
  EXPECT_TRUE(kept.eq(static_cast<float>(comm.rank() + 1)).all().item<bool>());  // still mapped
  torch::Tensor pid = torch::full({1}, static_cast<int64_t>(getpid()), torch::kInt64);
  comm.broadcast(pid, 0, Traffic::Bookkeeping);  // rank 0 names the memory
  const std::string prefix = "iddl-sum-" + std::to_string(pid.item<int64_t>()) + "-";
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm"))
    EXPECT_NE(entry.path().filename().string().rfind(prefix, 0), 0u) << entry.path();
}
