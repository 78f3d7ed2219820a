// Run under `mpirun -np 2`: CompressedAverager with every method agrees across ranks, matches the dense weighted
// average where the compression is lossless, survives payloads of unequal sizes, and the communicator counts exactly
// the frames it sends.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "core/comm/make_communicator.hpp"
#include "core/comm/mpi_communicator.hpp"
#include "core/compress/compressed_averager.hpp"
#include "core/compress/compressor_registry.hpp"
#include "tests/core/compress/compression_values.hpp"
#include "tests/support/devices.hpp"

namespace {

using iddl::comm::Traffic;
using namespace iddl::compress;
using iddl::testing::compression;

// A gradient-like set of tensors (a matrix, a bias, a conv kernel), different on each rank.
std::vector<torch::Tensor> gradients(int rank) {
  torch::Generator g = at::detail::createCPUGenerator(100 + rank);
  return {torch::randn({20, 30}, g), torch::randn({30}, g), torch::randn({6, 4, 3, 3}, g)};
}

// This rank's share of the global batch: 1/4 on rank 0, 3/4 on rank 1.
double weight_of(int rank) { return rank == 0 ? 0.25 : 0.75; }

// Every tensor flattened into one vector.
torch::Tensor flat(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> parts;
  for (const torch::Tensor& t : tensors) parts.push_back(t.reshape(-1));
  return torch::cat(parts);
}

// Whether `tensors` are the same on both ranks (compared through a bookkeeping allgather).
bool same_on_both_ranks(iddl::comm::Communicator& comm, const std::vector<torch::Tensor>& tensors) {
  const auto both = comm.allgather(flat(tensors).contiguous(), Traffic::Bookkeeping);
  return torch::equal(both[0], both[1]);
}

// The dense weighted average sum_r weight_r * tensors_r.
torch::Tensor dense_average(iddl::comm::MpiCommunicator& comm, const std::vector<torch::Tensor>& tensors) {
  const auto both = comm.allgather((flat(tensors) * weight_of(comm.rank())).contiguous(), Traffic::Bookkeeping);
  return both[0] + both[1];
}

// The same bits (zeros' signs included).
bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::equal(a.contiguous().view(torch::kInt32), b.contiguous().view(torch::kInt32));
}

class CompressTwoRanksOn : public iddl::testing::OnDevice {};

}  // namespace

TEST(CompressTwoRanks, EveryMethodGivesTheSameResultOnBothRanks) {
  iddl::comm::MpiCommunicator comm;
  ASSERT_EQ(comm.size(), 2);
  for (const std::string method :
       {"topk", "randomk", "threshold", "adaptive_threshold", "terngrad", "qsgd", "fp16", "signsgd", "powersgd"}) {
    for (const std::string granularity : {"layerwise", "model"}) {
      nlohmann::json value = {{"method", method}, {"granularity", granularity}};
      if (method == "threshold") value["v"] = 1.5;
      auto averager = make_averager(compression(value), comm, 7);
      for (int step = 0; step < 3; ++step) {
        std::vector<torch::Tensor> tensors = gradients(comm.rank() + 10 * step);
        averager->average(tensors, weight_of(comm.rank()));
        EXPECT_TRUE(flat(tensors).isfinite().all().item<bool>()) << method << " " << granularity;
        EXPECT_TRUE(same_on_both_ranks(comm, tensors)) << method << " " << granularity;
      }
      EXPECT_GT(averager->compression_ratio(), 0.0);
      EXPECT_LT(averager->compression_ratio(), method == "fp16" ? 0.6 : 0.4) << method << " " << granularity;
    }
  }
}

TEST(CompressTwoRanks, SharedSeedRandomKDecodesIdenticallyOnBothRanks) {
  // Each rank's payload carries its own seed; every rank redraws the sender's indices from it, so the averages agree
  // and only the values travel (8 + 4k bytes a frame: about half the sparse payload's 8 bytes an entry).
  iddl::comm::MpiCommunicator comm;
  for (const std::string granularity : {"layerwise", "model"}) {
    const nlohmann::json value = {{"method", "randomk"}, {"ratio", 0.1}, {"indices", "shared_seed"},
                                  {"granularity", granularity}};
    auto averager = make_averager(compression(value), comm, 7);
    for (int step = 0; step < 3; ++step) {
      std::vector<torch::Tensor> tensors = gradients(comm.rank() + 10 * step);
      averager->average(tensors, weight_of(comm.rank()));
      EXPECT_TRUE(same_on_both_ranks(comm, tensors)) << granularity;
      EXPECT_GT(flat(tensors).ne(0).sum().item<int64_t>(), 0) << granularity;
    }
    EXPECT_LT(averager->compression_ratio(), 0.12) << granularity;
  }
  // One rank's payload, decoded by both, is the same vector.
  const torch::Tensor x = torch::randn({5000}, at::detail::createCPUGenerator(40));
  auto randomk = make_compressor(compression({{"method", "randomk"}, {"indices", "shared_seed"}}),
                                 at::detail::createCPUGenerator(41 + comm.rank()));
  const torch::Tensor payload = randomk->encode(x);
  const auto frames = comm.allgather(payload.to(torch::kInt32), Traffic::Bookkeeping);  // one byte an int
  ASSERT_EQ(frames[0].numel(), 8 + 50 * 4);
  const torch::Tensor from_rank0 = randomk->decode(frames[0].to(torch::kUInt8), 5000);
  EXPECT_TRUE(same_on_both_ranks(comm, {from_rank0}));
  EXPECT_EQ(from_rank0.ne(0).sum().item<int64_t>(), 50);
  EXPECT_TRUE(torch::equal(from_rank0.masked_select(from_rank0.ne(0)), x.masked_select(from_rank0.ne(0))));
}

TEST(CompressTwoRanks, LosslessSettingsEqualTheDenseWeightedAverage) {
  iddl::comm::MpiCommunicator comm;
  std::vector<torch::Tensor> tensors = gradients(comm.rank());
  const torch::Tensor expected = dense_average(comm, tensors);
  auto topk = make_averager(compression({{"method", "topk"}, {"ratio", 1.0}}), comm, 7);
  topk->average(tensors, weight_of(comm.rank()));
  EXPECT_TRUE(torch::allclose(flat(tensors), expected, 1e-6, 1e-7));

  // Multiples of 1/16 below 8 are exact in half precision, and so are their products by 1/4 and 3/4.
  std::vector<torch::Tensor> exact;
  for (const torch::Tensor& t : gradients(comm.rank())) exact.push_back((t * 16).round().clamp(-127, 127) / 16);
  const torch::Tensor exact_expected = dense_average(comm, exact);
  for (const std::string granularity : {"layerwise", "model"}) {
    std::vector<torch::Tensor> copy;
    for (const torch::Tensor& t : exact) copy.push_back(t.clone());
    auto fp16 = make_averager(compression({{"method", "fp16"}, {"granularity", granularity}}), comm, 7);
    fp16->average(copy, weight_of(comm.rank()));
    EXPECT_TRUE(torch::equal(flat(copy), exact_expected)) << granularity;
  }
}

TEST(CompressTwoRanks, ThresholdPayloadsOfUnequalSizesAndTheirBytes) {
  iddl::comm::MpiCommunicator comm;
  // Rank 0 has 3 entries at or above v = 1, rank 1 has 8 (one at a position rank 0 sends too).
  const int64_t kept = comm.rank() == 0 ? 3 : 8;
  torch::Tensor x = torch::full({100}, 0.01f);
  for (int64_t i = 0; i < (comm.rank() == 0 ? 3 : 7); ++i) x[i * 10 + comm.rank()] = 2.0f + static_cast<float>(i);
  if (comm.rank() == 1) x[0] = -5.0f;
  std::vector<torch::Tensor> tensors = {x.clone()};
  comm.take_stats();
  auto averager = make_averager(compression({{"method", "threshold"}, {"v", 1.0}}), comm, 7);
  averager->average(tensors, weight_of(comm.rank()));

  const auto both = comm.allgather(x.contiguous(), Traffic::Bookkeeping);
  const torch::Tensor expected =
      both[0] * (both[0].abs() >= 1) * weight_of(0) + both[1] * (both[1].abs() >= 1) * weight_of(1);
  EXPECT_TRUE(torch::allclose(tensors[0], expected));

  const int64_t own_frame = frame_bytes(kept * (1 + 4)), other_frame = frame_bytes((11 - kept) * (1 + 4));
  const auto stats = comm.take_stats();
  EXPECT_EQ(stats.bytes_sent, own_frame);  // its frame to the one other rank
  EXPECT_EQ(stats.bytes_received, other_frame);
  EXPECT_EQ(averager->wire_bytes(), own_frame);
  EXPECT_EQ(averager->dense_bytes(), 400);
}

TEST(CompressTwoRanks, CommunicatorCountsExactlyThePayloadFrames) {
  iddl::comm::MpiCommunicator comm;
  for (const std::string method : {"topk", "terngrad", "qsgd", "fp16", "signsgd"}) {
    auto compressor = make_compressor(compression(method), at::detail::createCPUGenerator(1));
    int64_t expected = 0;
    for (const torch::Tensor& t : gradients(comm.rank()))
      expected += frame_bytes(compressor->encode(t.reshape(-1).contiguous()).numel());
    comm.take_stats();
    auto averager = make_averager(compression(method), comm, 7);
    std::vector<torch::Tensor> tensors = gradients(comm.rank());
    averager->average(tensors, weight_of(comm.rank()));
    EXPECT_EQ(comm.take_stats().bytes_sent, expected) << method;
    EXPECT_EQ(averager->wire_bytes(), expected) << method;
  }
}

TEST(CompressTwoRanks, PowerSgdSumsFactorsByAllreduceAndKeepsTheResidual) {
  iddl::comm::MpiCommunicator comm;
  // A rank-1 matrix on each rank with a common left factor: the weighted sum has rank 1 and rank 2 recovers it.
  torch::Generator shared = at::detail::createCPUGenerator(3), own = at::detail::createCPUGenerator(4 + comm.rank());
  const torch::Tensor u = torch::randn({50, 1}, shared);
  const torch::Tensor m = u.mm(torch::randn({1, 40}, own)), bias = torch::randn({40}, own);
  std::vector<torch::Tensor> tensors = {m.clone(), bias.clone()};
  const torch::Tensor expected = dense_average(comm, tensors);
  comm.take_stats();
  auto averager = make_averager(compression({{"method", "powersgd"}, {"rank", 2}}), comm, 7);
  averager->average(tensors, weight_of(comm.rank()));
  EXPECT_TRUE(torch::allclose(flat(tensors), expected, 1e-4, 1e-4));
  // Allreduces of P (50x2), Q (40x2) and the bias: on two ranks a ring allreduce sends each buffer once.
  const int64_t bytes = 4 * (50 * 2 + 40 * 2 + 40);
  EXPECT_EQ(comm.take_stats().bytes_sent, bytes);
  EXPECT_EQ(averager->wire_bytes(), bytes);
  EXPECT_DOUBLE_EQ(averager->compression_ratio(), static_cast<double>(bytes) / (4 * (50 * 40 + 40)));
}

TEST_P(CompressTwoRanksOn, DevicePathAveragesLikeTheCpuKernels) {
  // Through the run's communicator (NCCL for CUDA tensors where built), the device flavours on this device (forced
  // on CPU tensors) give the CPU kernels' averages on CPU copies of the same gradients: bit for bit where they write
  // the same bytes, up to the float64 scale for signsgd; the random ones agree across ranks. The frames are the same
  // size, so the bytes counted are the same. Error feedback on, residuals on the device.
  const auto comm = iddl::comm::make_communicator();
  ASSERT_EQ(comm->size(), 2);
  for (const std::string method :
       {"fp16", "topk", "threshold", "adaptive_threshold", "randomk", "signsgd", "terngrad", "qsgd"}) {
    for (const std::string granularity : {"layerwise", "model"}) {
      nlohmann::json value = {{"method", method}, {"granularity", granularity}, {"error_feedback", true}};
      if (method == "threshold") value["v"] = 1.5;
      auto cpu = make_averager(compression(value), *comm, 7);
      auto on_device = make_averager(compression(value), *comm, 7, CompressorPath::Device);
      for (int step = 0; step < 3; ++step) {
        std::vector<torch::Tensor> here = gradients(comm->rank() + 10 * step), there;
        for (const torch::Tensor& t : here) there.push_back(t.to(device()).clone());  // not an alias on the CPU
        comm->take_stats();
        cpu->average(here, weight_of(comm->rank()));
        const int64_t cpu_bytes = comm->take_stats().bytes_sent;
        on_device->average(there, weight_of(comm->rank()));
        EXPECT_EQ(comm->take_stats().bytes_sent, cpu_bytes) << method << " " << granularity;
        std::vector<torch::Tensor> back;
        for (const torch::Tensor& t : there) {
          EXPECT_EQ(t.device(), device());
          back.push_back(t.cpu());
        }
        if (method == "signsgd") {
          EXPECT_TRUE(torch::allclose(flat(back), flat(here), 1e-5, 1e-7)) << granularity;
        } else if (method == "terngrad" || method == "qsgd") {
          EXPECT_TRUE(flat(back).isfinite().all().item<bool>()) << method << " " << granularity;
          EXPECT_TRUE(same_on_both_ranks(*comm, back)) << method << " " << granularity;
        } else {
          EXPECT_TRUE(same_bits(flat(back), flat(here))) << method << " " << granularity << " step " << step;
        }
      }
      EXPECT_EQ(on_device->wire_bytes(), cpu->wire_bytes()) << method << " " << granularity;
      EXPECT_EQ(on_device->state().at("residual_0").device(), device()) << method << " " << granularity;
    }
  }
}

IDDL_ON_DEVICES(CompressTwoRanksOn);
