// Under `mpirun -np 2`: a BoundaryInbox posts its receives ahead (up to its depth), hands the messages over
// in the listed order with their contents, lets a sender finish a message the rank has not asked for yet,
// times out with a clear error, and cancels what it posted when dropped.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "core/comm/mpi_communicator.hpp"
#include "core/pipeline/boundary_inbox.hpp"

namespace iddl::pipeline {
namespace {

constexpr int kTagA = 11;
constexpr int kTagB = 12;
constexpr auto kTraining = comm::Traffic::Training;

ExpectedMessage from_rank_0(int tag, std::vector<int64_t> sizes) { return {0, tag, std::move(sizes), torch::kFloat32}; }

TEST(BoundaryInbox, PostsAheadAndHandsMessagesOverInOrder) {
  comm::MpiCommunicator comm;
  if (comm.rank() == 0) {
    for (int i = 0; i < 3; ++i) comm.send(torch::full({2, 3}, 1.0 + i), 1, kTagA, kTraining);
    comm.send(torch::arange(5, torch::kFloat32), 1, kTagB, kTraining);
  } else {
    BoundaryInbox inbox(comm,
                        {from_rank_0(kTagA, {2, 3}), from_rank_0(kTagA, {2, 3}), from_rank_0(kTagB, {5}),
                         from_rank_0(kTagA, {2, 3})},
                        kTraining, 2);
    EXPECT_EQ(inbox.in_flight(), 2u);
    EXPECT_TRUE(torch::equal(inbox.take(10.0), torch::full({2, 3}, 1.0)));
    EXPECT_EQ(inbox.in_flight(), 2u);
    EXPECT_TRUE(torch::equal(inbox.take(10.0), torch::full({2, 3}, 2.0)));
    EXPECT_TRUE(torch::equal(inbox.take(10.0), torch::arange(5, torch::kFloat32)));
    EXPECT_EQ(inbox.in_flight(), 1u);
    EXPECT_TRUE(torch::equal(inbox.take(10.0), torch::full({2, 3}, 3.0)));
    EXPECT_TRUE(inbox.empty());
    EXPECT_EQ(inbox.in_flight(), 0u);
    EXPECT_THROW(inbox.take(1.0), std::logic_error);
  }
  comm.barrier();
}

TEST(BoundaryInbox, AReceivePostedAheadLetsItsSenderFinish) {
  // Rank 0 sends B (4 MB: beyond MPI's eager limit, so its blocking send waits for a matching receive)
  // before A, while rank 1 waits for A first: only B's receive, posted ahead, lets rank 0 go on to send A.
  comm::MpiCommunicator comm;
  const int64_t large = 1 << 20;
  if (comm.rank() == 0) {
    comm.send(torch::full({large}, 2.0), 1, kTagB, kTraining);
    comm.send(torch::full({4}, 1.0), 1, kTagA, kTraining);
  } else {
    BoundaryInbox inbox(comm, {from_rank_0(kTagA, {4}), from_rank_0(kTagB, {large})}, kTraining, 2);
    EXPECT_TRUE(torch::equal(inbox.take(30.0), torch::full({4}, 1.0)));
    EXPECT_TRUE(torch::equal(inbox.take(30.0), torch::full({large}, 2.0)));
  }
  comm.barrier();
}

TEST(BoundaryInbox, TimesOutNamingTheSenderAndCancelsItsReceivesWhenDropped) {
  comm::MpiCommunicator comm;
  if (comm.rank() == 1) {
    BoundaryInbox inbox(comm, {from_rank_0(kTagA, {3}), from_rank_0(kTagA, {3})}, kTraining, 2);
    try {
      inbox.take(0.2);
      ADD_FAILURE() << "no timeout";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("rank 1 received nothing from rank 0 (tag 11)"), std::string::npos)
          << e.what();
    }
  }
  comm.barrier();  // rank 1's inbox, and its two receives, are gone
  if (comm.rank() == 0) {
    comm.send(torch::full({3}, 7.0), 1, kTagA, kTraining);
  } else {
    torch::Tensor got = torch::zeros({3});
    comm.recv(got, 0, kTagA, kTraining);
    EXPECT_TRUE(torch::equal(got, torch::full({3}, 7.0)));
  }
  EXPECT_THROW(BoundaryInbox(comm, {}, kTraining, 0), std::invalid_argument);
  comm.barrier();
}

}  // namespace
}  // namespace iddl::pipeline
