// Run under `mpirun -np 2`: the run's communicator (make_communicator: NCCL-backed where CUDA and NCCL are found)
// on every device of tests/support/devices.hpp, the caller never synchronizing. On CUDA its collectives are queued
// on LibTorch's current stream: they see the results of the kernels queued before them, the kernels queued after
// them see theirs, a nonblocking sum's request completes when the stream has done it, and its byte and time figures
// are complete when take_stats() returns. On the CPU the same assertions hold over MPI.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "core/comm/make_communicator.hpp"
#include "core/comm/request.hpp"
#include "tests/support/devices.hpp"

namespace {

using iddl::comm::Traffic;

class CommStreamOn : public iddl::testing::OnDevice {
 protected:
  // A `rows` x `rows` tensor of `value` that comes out of a chain of matrix products by the identity, still
  // queued on a GPU when it is returned (values stay exact).
  torch::Tensor produced(float value, int64_t rows) const {
    const torch::Tensor identity = torch::eye(rows, on_device());
    torch::Tensor x = torch::full({rows, rows}, value, on_device());
    for (int i = 0; i < 20; ++i) x = torch::mm(x, identity);
    return x;
  }
  int64_t rows() const { return device().is_cuda() ? 2048 : 64; }
};

// 1-D float tensor of `n` values rank * 100 + i on `device`.
torch::Tensor payload(int rank, int64_t n, const torch::Device& device) {
  return (torch::arange(n, torch::kFloat32) + 100.0f * rank).to(device);
}

TEST_P(CommStreamOn, ASumSeesTheKernelsBeforeItAndTheKernelsAfterItSeeTheSum) {
  const auto comm = iddl::comm::make_communicator();
  ASSERT_EQ(comm->size(), 2);
  comm->take_stats();
  torch::Tensor values = produced(static_cast<float>(comm->rank() + 1), rows());
  comm->allreduce_sum(values, Traffic::Training);
  const torch::Tensor doubled = values * 2;  // queued after the sum
  EXPECT_TRUE(torch::equal(doubled.cpu(), torch::full({rows(), rows()}, 6.0f)));
  const auto stats = comm->take_stats();
  EXPECT_EQ(stats.bytes_sent, rows() * rows() * 4);  // 2 (n - 1) / n of the tensor
  EXPECT_EQ(stats.bytes_received, rows() * rows() * 4);
  EXPECT_GT(stats.seconds, 0.0);
  EXPECT_EQ(stats.total_seconds, stats.seconds);
}

TEST_P(CommStreamOn, AllgatherOfUnequalEqualAndEmptyPartsReturnsThemOnTheDevice) {
  const auto comm = iddl::comm::make_communicator();
  comm->take_stats();
  const int rank = comm->rank();
  for (const auto& sizes : std::vector<std::array<int64_t, 2>>{{3, 5}, {4, 4}, {0, 6}, {0, 0}}) {
    const int64_t own = sizes[static_cast<size_t>(rank)];
    const auto parts = comm->allgather(payload(rank, own, device()) * 1.0f, Traffic::Training);
    ASSERT_EQ(parts.size(), 2u);
    for (int r = 0; r < 2; ++r) {
      EXPECT_EQ(parts[static_cast<size_t>(r)].device(), device()) << sizes[0] << "+" << sizes[1];
      const torch::Tensor seen = (parts[static_cast<size_t>(r)] + 0.0f).cpu();  // a kernel queued after it
      EXPECT_TRUE(torch::equal(seen, payload(r, sizes[static_cast<size_t>(r)], torch::kCPU)))
          << "rank " << r << "'s part of " << sizes[0] << "+" << sizes[1];
    }
    const auto stats = comm->take_stats();
    EXPECT_EQ(stats.bytes_sent, own * 4) << sizes[0] << "+" << sizes[1];
    EXPECT_EQ(stats.bytes_received, (sizes[0] + sizes[1] - own) * 4) << sizes[0] << "+" << sizes[1];
  }
}

// Rank 1 starts its part only after rank 0 has tested its request, so rank 0's sum cannot have completed then.
TEST_P(CommStreamOn, ANonblockingSumIsIncompleteUntilEveryRankHasStartedItThenComplete) {
  const auto comm = iddl::comm::make_communicator();
  comm->take_stats();
  torch::Tensor values = produced(static_cast<float>(comm->rank() + 1), rows());
  torch::Tensor go = torch::zeros({1});
  if (comm->rank() == 0) {
    auto sum = comm->iallreduce_sum(values, Traffic::Training);
    EXPECT_FALSE(sum->test()) << "rank 1 has not started its part";
    comm->send(go, 1, 9, Traffic::Bookkeeping);
    sum->wait();
    EXPECT_TRUE(sum->test());
  } else {
    comm->recv(go, 0, 9, Traffic::Bookkeeping);
    auto sum = comm->iallreduce_sum(values, Traffic::Training);
    EXPECT_TRUE(iddl::comm::wait_for(*sum, 60.0));
  }
  EXPECT_TRUE(torch::equal((values + 0.0f).cpu(), torch::full({rows(), rows()}, 3.0f)));
  const auto stats = comm->take_stats();
  EXPECT_EQ(stats.bytes_sent, rows() * rows() * 4);
  EXPECT_GT(stats.seconds, 0.0);
}

TEST_P(CommStreamOn, NonblockingSendAndReceiveCarryTheQueuedResults) {
  const auto comm = iddl::comm::make_communicator();
  comm->take_stats();
  const int other = 1 - comm->rank();
  const torch::Tensor outgoing = produced(static_cast<float>(comm->rank() + 1), rows()).flatten();
  torch::Tensor incoming = torch::zeros({rows() * rows()}, on_device());
  auto send = comm->isend(outgoing, other, 4, Traffic::Training);
  auto receive = comm->irecv(incoming, other, 4, Traffic::Training);
  EXPECT_TRUE(iddl::comm::wait_for(*receive, 60.0));
  EXPECT_TRUE(iddl::comm::wait_for(*send, 60.0));
  const torch::Tensor next = incoming + 1.0f;  // queued after the receive
  EXPECT_EQ(next.device(), device());
  EXPECT_TRUE(torch::equal(next.cpu(), torch::full({rows() * rows()}, static_cast<float>(other + 2))));
  const auto stats = comm->take_stats();
  EXPECT_EQ(stats.bytes_sent, rows() * rows() * 4);
  EXPECT_EQ(stats.bytes_received, rows() * rows() * 4);
}

TEST_P(CommStreamOn, ABarrierFollowsTheQueuedCollectives) {
  const auto comm = iddl::comm::make_communicator();
  torch::Tensor values = produced(static_cast<float>(comm->rank() + 1), rows());
  auto sum = comm->iallreduce_sum(values, Traffic::Bookkeeping);
  comm->barrier();
  if (device().is_cuda()) {
    EXPECT_TRUE(sum->test()) << "the barrier returned before the sum queued before it was done";
  } else {  // over MPI a nonblocking sum moves on in its own tests
    EXPECT_TRUE(iddl::comm::wait_for(*sum, 60.0));
  }
  EXPECT_TRUE(torch::equal(values.cpu(), torch::full({rows(), rows()}, 3.0f)));
}

IDDL_ON_DEVICES(CommStreamOn);

}  // namespace
