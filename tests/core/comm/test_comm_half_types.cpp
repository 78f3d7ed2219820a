// Run under `mpirun -np 2`: half and bfloat16 tensors through the MPI communicator (sums computed in
// float per addition, transfers as 16-bit words, bytes counted at 2 per element).
#include <gtest/gtest.h>

#include "core/comm/mpi_communicator.hpp"
#include "core/comm/request.hpp"

namespace {

using iddl::comm::Traffic;

// Values of rank r that half and bfloat16 hold exactly (multiples of 1/4 below 64), and their sum over 2 ranks.
torch::Tensor values(int rank, torch::ScalarType type) {
  return (torch::arange(64, torch::kFloat32) * 0.25f + 16.0f * static_cast<float>(rank)).to(type);
}

class HalfTypes : public ::testing::TestWithParam<torch::ScalarType> {};

}  // namespace

TEST_P(HalfTypes, AllreduceSumsInPlaceKeepingTheType) {
  iddl::comm::MpiCommunicator comm;
  ASSERT_EQ(comm.size(), 2);
  torch::Tensor mine = values(comm.rank(), GetParam());
  comm.allreduce_sum(mine, Traffic::Training);
  EXPECT_EQ(mine.scalar_type(), GetParam());
  EXPECT_TRUE(torch::equal(mine.to(torch::kFloat32), values(0, torch::kFloat32) + values(1, torch::kFloat32)));
  EXPECT_EQ(comm.take_stats().bytes_sent, 64 * 2);  // a ring allreduce of 2 ranks sends the tensor once
}

TEST_P(HalfTypes, NonblockingSumMatchesTheBlockingOne) {
  iddl::comm::MpiCommunicator comm;
  torch::Tensor mine = values(comm.rank(), GetParam());
  comm.iallreduce_sum(mine, Traffic::Training)->wait();
  EXPECT_TRUE(torch::equal(mine.to(torch::kFloat32), values(0, torch::kFloat32) + values(1, torch::kFloat32)));
}

TEST_P(HalfTypes, SumOfValuesTheTypeRoundsIsTheRoundedFloatSum) {
  iddl::comm::MpiCommunicator comm;
  // 2048 + 3 is neither a half nor a bfloat16: the sum is their float sum rounded to the type (2052, 2048).
  torch::Tensor mine = torch::full({5}, comm.rank() == 0 ? 2048.0f : 3.0f, torch::kFloat32).to(GetParam());
  const torch::Tensor own = mine.clone();
  comm.allreduce_sum(mine, Traffic::Training);
  torch::Tensor other = own.clone();
  comm.sendrecv(own, 1 - comm.rank(), other, 1 - comm.rank(), Traffic::Training);
  const torch::Tensor expected = (own.to(torch::kFloat32) + other.to(torch::kFloat32)).to(GetParam());
  EXPECT_TRUE(torch::equal(mine, expected));
  EXPECT_FALSE(torch::equal(mine.to(torch::kFloat32), torch::full({5}, 2051.0f)));
}

TEST_P(HalfTypes, PointToPointBroadcastAndAllgatherCarryTheBitsUnchanged) {
  iddl::comm::MpiCommunicator comm;
  const int other = 1 - comm.rank();
  torch::Tensor sent = values(comm.rank(), GetParam());
  torch::Tensor got = torch::zeros({64}, GetParam());
  if (comm.rank() == 0) {
    comm.send(sent, other, 3, Traffic::Training);
    comm.recv(got, other, 4, Traffic::Training);
  } else {
    comm.recv(got, other, 3, Traffic::Training);
    comm.send(sent, other, 4, Traffic::Training);
  }
  EXPECT_TRUE(torch::equal(got, values(other, GetParam())));

  torch::Tensor root = values(comm.rank(), GetParam());
  comm.broadcast(root, 1, Traffic::Training);
  EXPECT_TRUE(torch::equal(root, values(1, GetParam())));

  const auto parts = comm.allgather(values(comm.rank(), GetParam()).slice(0, 0, 10 + comm.rank()), Traffic::Training);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(torch::equal(parts[0], values(0, GetParam()).slice(0, 0, 10)));
  EXPECT_TRUE(torch::equal(parts[1], values(1, GetParam()).slice(0, 0, 11)));

  torch::Tensor later = torch::zeros({64}, GetParam());
  auto receiving = comm.irecv(later, other, 5, Traffic::Training);
  auto sending = comm.isend(sent, other, 5, Traffic::Training);
  receiving->wait();
  sending->wait();
  EXPECT_TRUE(torch::equal(later, values(other, GetParam())));
}

INSTANTIATE_TEST_SUITE_P(CommHalfTypes, HalfTypes, ::testing::Values(torch::kFloat16, torch::kBFloat16),
                         [](const auto& info) { return info.param == torch::kFloat16 ? "half" : "bfloat16"; });
