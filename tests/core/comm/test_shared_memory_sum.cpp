// Run under `mpirun -np 2` and `-np 3`: the shared-memory sum (the subject of bench/bench_shm_sum.cpp) gives
// MPI_Allreduce's sums (exactly for small integers; within rounding for random floats on more than 2 ranks) at
// every size, also when sizes alternate and the window grows.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/comm/shared_memory_sum.hpp"

namespace {

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

// Rank r's element i: a small integer, whose sums are exact in any order.
template <typename T>
std::vector<T> integers(int64_t n, int rank) {
  std::vector<T> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = static_cast<T>((i * 7 + rank * 13) % 1009);
  return out;
}

template <typename T>
std::vector<T> mpi_sum(std::vector<T> data, MPI_Datatype type) {
  MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(data.size()), type, MPI_SUM, MPI_COMM_WORLD);
  return data;
}

}  // namespace

TEST(SharedMemorySum, EqualsMpiAllreduceAtEverySizeAndType) {
  auto sum = iddl::comm::SharedMemorySum::create(MPI_COMM_WORLD);
  ASSERT_NE(sum, nullptr) << "the ranks of one mpirun on this machine share one node";
  const int rank = world_rank();
  // Sizes below, on and above a cache line of elements, odd ones, a large one that grows the window, then small
  // ones again in the grown window.
  for (const int64_t n : {1, 3, 15, 16, 17, 1000, 4099, 262147, 5, 70000, 2}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    std::vector<float> ours = integers<float>(n, rank);
    sum->sum(ours.data(), n);
    EXPECT_EQ(ours, mpi_sum(integers<float>(n, rank), MPI_FLOAT));
    std::vector<double> ours_double = integers<double>(n, rank);
    sum->sum(ours_double.data(), n);
    EXPECT_EQ(ours_double, mpi_sum(integers<double>(n, rank), MPI_DOUBLE));
  }
  std::vector<float> none;
  sum->sum(none.data(), 0);  // nothing to sum: no phase waits
}

// Random floats, many calls in a row (a rank may run ahead into the next call while the others still copy out):
// the sums of 2 ranks are MPI's exactly (one addition, either order), of more within rounding.
TEST(SharedMemorySum, BackToBackSumsOfRandomFloats) {
  auto sum = iddl::comm::SharedMemorySum::create(MPI_COMM_WORLD);
  ASSERT_NE(sum, nullptr);
  const int rank = world_rank();
  for (int round = 0; round < 200; ++round) {
    const int64_t n = round % 2 ? 20000 : 333;
    std::vector<float> data(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      data[static_cast<size_t>(i)] =
          static_cast<float>(((i + 1) * 2654435761u + static_cast<unsigned>(rank + round) * 40503u) % 100000) / 777.0f;
    const std::vector<float> expected = mpi_sum(data, MPI_FLOAT);
    sum->sum(data.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<size_t>(i);
      if (world_size() == 2)
        ASSERT_EQ(data[k], expected[k]) << "round " << round << ", element " << i;
      else
        ASSERT_NEAR(data[k], expected[k], 1e-5f * std::abs(expected[k]) + 1e-6f)
            << "round " << round << ", element " << i;
    }
  }
}
