// Run under `mpirun -np 2`: allgather of unequal and empty tensors, point-to-point calls (blocking and
// nonblocking, with timeouts), nonblocking sums, split communicators, byte counters; the CommOnDevice tests on
// every device of tests/support/devices.hpp (CUDA tensors: staged through the host by MPI, summed by NCCL).
#include <gtest/gtest.h>

#include "core/comm/make_communicator.hpp"
#include "core/comm/mpi_communicator.hpp"
#include "core/comm/request.hpp"
#include "tests/support/devices.hpp"

namespace {

using iddl::comm::Traffic;

// 1-D float tensor of `n` values rank * 100 + i.
torch::Tensor payload(int rank, int64_t n) { return torch::arange(n, torch::kFloat32) + 100.0f * rank; }

class CommOnDevice : public iddl::testing::OnDevice {};

}  // namespace

TEST_P(CommOnDevice, AllgatherOfUnequalSizesKeepsRankOrderAndCountsBytes) {
  iddl::comm::MpiCommunicator comm;
  ASSERT_EQ(comm.size(), 2);
  const int64_t own = comm.rank() == 0 ? 3 : 5;
  const auto parts = comm.allgather(payload(comm.rank(), own).to(device()), Traffic::Training);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].device(), device());
  EXPECT_TRUE(torch::equal(parts[0].cpu(), payload(0, 3)));
  EXPECT_TRUE(torch::equal(parts[1].cpu(), payload(1, 5)));
  const auto stats = comm.take_stats();
  EXPECT_EQ(stats.bytes_sent, own * 4);             // its payload to the one other rank
  EXPECT_EQ(stats.bytes_received, (8 - own) * 4);  // every other rank's payload
}

TEST(CommTwoRanks, AllgatherWithEmptyContributions) {
  iddl::comm::MpiCommunicator comm;
  const int64_t own = comm.rank() == 0 ? 0 : 4;
  const auto parts = comm.allgather(payload(comm.rank(), own), Traffic::Training);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].numel(), 0);
  EXPECT_TRUE(torch::equal(parts[1], payload(1, 4)));
  const auto none = comm.allgather(torch::empty({0}, torch::kFloat32), Traffic::Training);
  EXPECT_EQ(none[0].numel() + none[1].numel(), 0);
  const auto stats = comm.take_stats();
  EXPECT_EQ(stats.bytes_sent, own * 4);
  EXPECT_EQ(stats.bytes_received, (4 - own) * 4);
}

TEST_P(CommOnDevice, SendRecvRoundTripCountsExactBytes) {
  iddl::comm::MpiCommunicator comm;
  const int other = 1 - comm.rank();
  torch::Tensor message = payload(1, 6).to(device(), torch::kFloat64);
  if (comm.rank() == 0) {
    comm.send(message, other, 7, Traffic::Training);
    torch::Tensor echo = torch::zeros({6}, on_device().dtype(torch::kFloat64));
    comm.recv(echo, other, 8, Traffic::Training);
    EXPECT_TRUE(torch::equal(echo, message * 2));
  } else {
    torch::Tensor got = torch::zeros({6}, on_device().dtype(torch::kFloat64));
    comm.recv(got, other, 7, Traffic::Training);
    EXPECT_TRUE(torch::equal(got, message));
    comm.send(got * 2, other, 8, Traffic::Training);
  }
  const auto stats = comm.take_stats();
  EXPECT_EQ(stats.bytes_sent, 48);
  EXPECT_EQ(stats.bytes_received, 48);
  EXPECT_GT(stats.seconds, 0.0);
}

TEST(CommTwoRanks, SendRecvExchangesAcrossTheRing) {
  iddl::comm::MpiCommunicator comm;
  const int other = 1 - comm.rank();
  torch::Tensor incoming = torch::zeros({10}, torch::kFloat32);
  comm.sendrecv(payload(comm.rank(), 10), other, incoming, other, Traffic::Training);
  EXPECT_TRUE(torch::equal(incoming, payload(other, 10)));
  const auto stats = comm.take_stats();
  EXPECT_EQ(stats.bytes_sent, 40);
  EXPECT_EQ(stats.bytes_received, 40);
}

TEST(CommTwoRanks, ProbeSeesAMessageBeforeItIsReceived) {
  iddl::comm::MpiCommunicator comm;
  if (comm.rank() == 1) {
    comm.send(payload(1, 5), 0, 3, Traffic::Bookkeeping);
  } else {
    std::optional<iddl::comm::Envelope> envelope;
    while (!envelope) envelope = comm.probe();
    EXPECT_EQ(envelope->source, 1);
    EXPECT_EQ(envelope->tag, 3);
    EXPECT_EQ(envelope->bytes, 20);
    torch::Tensor got = torch::zeros({5}, torch::kFloat32);
    comm.recv(got, 1, 3, Traffic::Bookkeeping);
    EXPECT_TRUE(torch::equal(got, payload(1, 5)));
  }
  EXPECT_EQ(comm.take_stats().bytes_sent, 0);  // bookkeeping is not counted
  comm.barrier();
}

TEST_P(CommOnDevice, TheRunsCommunicatorSumsAndCountsOnce) {
  const auto comm = iddl::comm::make_communicator();  // NCCL-backed where built with CUDA: CPU tensors use MPI
  torch::Tensor values = torch::full({100}, static_cast<float>(comm->rank() + 1), on_device());
  comm->allreduce_sum(values, Traffic::Training);
  EXPECT_TRUE(torch::allclose(values.cpu(), torch::full({100}, 3.0f)));
  const auto parts = comm->allgather(payload(comm->rank(), comm->rank() + 1).to(device()), Traffic::Bookkeeping);
  EXPECT_TRUE(torch::equal(parts[1].cpu(), payload(1, 2)));
  const auto stats = comm->take_stats();
  EXPECT_EQ(stats.bytes_sent, 400);  // the allreduce only, counted once
  EXPECT_EQ(stats.bytes_received, 400);
}

// Two sums in flight at once complete in any order of waiting; each counts one ring allreduce's bytes once,
// its waiting as exposed seconds and its start-to-completion time as total seconds.
TEST_P(CommOnDevice, NonblockingSumsCountBytesOnceAndTotalAtLeastExposedTime) {
  iddl::comm::MpiCommunicator comm;
  comm.take_stats();
  torch::Tensor first = payload(comm.rank(), 1000).to(device());
  torch::Tensor second = torch::full({10}, static_cast<double>(comm.rank() + 1), on_device().dtype(torch::kFloat64));
  auto first_sum = comm.iallreduce_sum(first, Traffic::Training);
  auto second_sum = comm.iallreduce_sum(second, Traffic::Training);
  second_sum->wait();
  EXPECT_TRUE(second_sum->test());
  first_sum->wait();
  first_sum->wait();  // a second wait is a no-op
  EXPECT_TRUE(torch::equal(first.cpu(), payload(0, 1000) + payload(1, 1000)));
  EXPECT_TRUE(torch::equal(second.cpu(), torch::full({10}, 3.0, torch::kFloat64)));
  const auto stats = comm.take_stats();
  EXPECT_EQ(stats.bytes_sent, 4000 + 80);  // 2 (n-1)/n of each buffer
  EXPECT_EQ(stats.bytes_received, 4000 + 80);
  EXPECT_GT(stats.seconds, 0.0);
  EXPECT_GE(stats.total_seconds, stats.seconds);
}

TEST(CommTwoRanks, CrossingNonblockingSendsOfLargeMessagesDoNotDeadlock) {
  // 4 MiB each way: far above MPI's eager limit, so two blocking sends would wait for each other.
  auto comm = iddl::comm::make_communicator();
  const int other = 1 - comm->rank();
  const torch::Tensor outgoing = payload(comm->rank(), 1 << 20);
  torch::Tensor incoming = torch::empty({1 << 20});
  auto send = comm->isend(outgoing, other, 5, Traffic::Training);
  auto receive = comm->irecv(incoming, other, 5, Traffic::Training);
  EXPECT_TRUE(iddl::comm::wait_for(*receive, 30.0));
  EXPECT_TRUE(iddl::comm::wait_for(*send, 30.0));
  EXPECT_TRUE(torch::equal(incoming, payload(other, 1 << 20)));
  const auto stats = comm->take_stats();
  EXPECT_EQ(stats.bytes_sent, 4 << 20);
  EXPECT_EQ(stats.bytes_received, 4 << 20);
}

TEST(CommTwoRanks, AReceiveNobodySendsTimesOutAndIsAbandonedCleanly) {
  iddl::comm::MpiCommunicator comm;
  torch::Tensor incoming = torch::empty({4});
  {
    auto receive = comm.irecv(incoming, 1 - comm.rank(), 6, Traffic::Training);
    EXPECT_FALSE(iddl::comm::wait_for(*receive, 0.2));
  }  // cancelled here
  EXPECT_EQ(comm.take_stats().bytes_received, 0);
  comm.barrier();
  // The tag is free again: a real message on it is received whole.
  if (comm.rank() == 0) comm.send(payload(0, 4), 1, 6, Traffic::Training);
  if (comm.rank() == 1) {
    comm.recv(incoming, 0, 6, Traffic::Training);
    EXPECT_TRUE(torch::equal(incoming, payload(0, 4)));
  }
}

TEST(CommTwoRanks, SplitMakesCommunicatorsOfTheRanksOfOneColor) {
  auto world = iddl::comm::make_communicator();
  // One color each: two communicators of one rank.
  auto alone = world->split(world->rank(), 0);
  EXPECT_EQ(alone->size(), 1);
  EXPECT_EQ(alone->rank(), 0);
  torch::Tensor value = torch::full({1}, 1.0f + static_cast<float>(world->rank()));
  alone->allreduce_sum(value, Traffic::Training);
  EXPECT_EQ(value.item<float>(), 1.0f + static_cast<float>(world->rank()));
  // One color, ranked by the reverse key: world rank 1 becomes rank 0.
  auto reversed = world->split(0, 1 - world->rank());
  EXPECT_EQ(reversed->size(), 2);
  EXPECT_EQ(reversed->rank(), 1 - world->rank());
  torch::Tensor sum = torch::full({3}, static_cast<float>(world->rank() + 1));
  reversed->allreduce_sum(sum, Traffic::Training);
  EXPECT_TRUE(torch::equal(sum, torch::full({3}, 3.0f)));
  // Traffic is counted by the communicator that carried it.
  EXPECT_EQ(reversed->take_stats().bytes_sent, 3 * 4);  // ring allreduce of 12 bytes on 2 ranks: 2 * 12 / 2
  EXPECT_EQ(world->take_stats().bytes_sent, 0);
}

IDDL_ON_DEVICES(CommOnDevice);
