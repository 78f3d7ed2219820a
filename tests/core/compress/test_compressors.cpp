// One process: the wire formats of the gradient compressors, their sizes, unbiasedness, error feedback, PowerSGD and
// the averager on a one-rank communicator; CompressOn: gradients on every device of tests/support/devices.hpp.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/compress/adaptive_threshold.hpp"
#include "core/compress/bit_pack.hpp"
#include "core/compress/compressed_averager.hpp"
#include "core/compress/compressor_registry.hpp"
#include "core/compress/compressors.hpp"
#include "core/compress/device_compressors.hpp"
#include "tests/core/compress/one_rank.hpp"
#include "tests/core/compress/unbiased.hpp"
#include "tests/support/devices.hpp"

namespace {

using namespace iddl::compress;

torch::Generator generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

// The parameters of every encode/decode method at their defaults (docs/compression.md); each reads its own.
nlohmann::json every_param() {
  return {{"ratio", 0.01}, {"ties", "exact_k"}, {"scaled", false}, {"indices", "sent"}, {"v", 0.001}, {"levels", 256}};
}

using iddl::testing::OneRank;
using iddl::testing::expect_unbiased;
using iddl::testing::mean_of_decodes;

torch::Tensor tensor_of(std::vector<float> values) { return torch::tensor(values, torch::kFloat32); }

class CompressOn : public iddl::testing::OnDevice {};

}  // namespace

TEST(compress, BitPackingRoundTripsEveryWidth) {
  for (int bits = 1; bits <= 32; ++bits) {
    const int64_t count = 1000 + bits;
    const torch::Tensor codes =
        torch::randint(0, int64_t{1} << std::min(bits, 31), {count}, generator(bits), torch::kInt64).to(torch::kInt32);
    std::vector<uint8_t> packed(static_cast<size_t>(packed_bytes(count, bits)));
    EXPECT_EQ(static_cast<int64_t>(packed.size()), (count * bits + 7) / 8);
    const auto* code = reinterpret_cast<const uint32_t*>(codes.data_ptr<int32_t>());
    pack_bits(code, count, bits, packed.data());
    // The layout: bit b of code i is bit i * bits + b of the stream, least significant bit of each byte first.
    std::vector<uint8_t> reference(packed.size(), 0);
    for (int64_t i = 0; i < count; ++i)
      for (int b = 0; b < bits; ++b) {
        const int64_t at = i * bits + b;
        const uint32_t bit = code[i] >> b & 1u;
        reference[static_cast<size_t>(at / 8)] |= static_cast<uint8_t>(bit << (at % 8));
      }
    EXPECT_EQ(packed, reference) << bits << " bits";
    torch::Tensor back = torch::empty({count}, torch::kInt32);
    unpack_bits(packed.data(), count, bits, reinterpret_cast<uint32_t*>(back.data_ptr<int32_t>()));
    EXPECT_TRUE(torch::equal(back, codes)) << bits << " bits";
  }
  EXPECT_THROW(packed_bytes(1, 33), std::invalid_argument);
}

TEST(compress, IndicesTakeTheNarrowestType) {
  EXPECT_EQ(index_bytes(200), 1);
  EXPECT_EQ(index_bytes(256), 1);
  EXPECT_EQ(index_bytes(257), 2);
  EXPECT_EQ(index_bytes(65536), 2);
  EXPECT_EQ(index_bytes(70000), 4);
  EXPECT_EQ(index_bytes((int64_t{1} << 32) + 1), 8);
  TopK topk(0.05);
  EXPECT_EQ(topk.encode(torch::randn({200})).numel(), 10 * (1 + 4));
  EXPECT_EQ(TopK(0.001).encode(torch::randn({70000})).numel(), 70 * (4 + 4));
}

TEST_P(CompressOn, TopKKeepsExactlyTheKLargestMagnitudes) {
  const torch::Tensor x = torch::randn({1000}, generator(1));
  EXPECT_EQ(TopK(0.01).k(1000), 10);
  // The CPU kernel on the CPU, the device flavour elsewhere (as the averager chooses).
  std::unique_ptr<Compressor> topk = device().is_cpu() ? std::unique_ptr<Compressor>(std::make_unique<TopK>(0.01))
                                                       : std::make_unique<DeviceTopK>(0.01);
  const torch::Tensor payload = topk->encode(x.to(device()));
  EXPECT_EQ(payload.numel(), 10 * (2 + 4));
  const torch::Tensor decoded = topk->decode(payload, 1000).cpu();
  const torch::Tensor largest = std::get<1>(x.abs().sort(0, true)).narrow(0, 0, 10);
  torch::Tensor expected = torch::zeros({1000});
  expected.index_put_({largest}, x.index_select(0, largest));
  EXPECT_TRUE(torch::equal(decoded, expected));
}

TEST(compress, TopKBreaksTiesTowardsTheLowerIndex) {
  const torch::Tensor x = tensor_of({1, -3, 3, 2, 3, 0.5, -3});
  EXPECT_TRUE(torch::equal(TopK(2.0 / 7).decode(TopK(2.0 / 7).encode(x), 7), tensor_of({0, -3, 3, 0, 0, 0, 0})));
  TopK three(3.0 / 7);
  const torch::Tensor payload = three.encode(x);
  EXPECT_EQ(payload.numel(), 3 * 5);
  EXPECT_TRUE(torch::equal(three.decode(payload, 7), tensor_of({0, -3, 3, 0, 3, 0, 0})));
  TopK all(1.0);
  EXPECT_TRUE(torch::equal(all.decode(all.encode(x), 7), x));
}

TEST(compress, TopKKeepingTiesSendsEveryEntryAtTheCut) {
  // Seed 003's mask |x| >= k-th largest magnitude: every tie at the cut travels, so more than k may.
  const torch::Tensor x = tensor_of({1, -3, 3, 2, 3, 0.5, -3});
  const torch::Tensor all_threes = tensor_of({0, -3, 3, 0, 3, 0, -3});
  for (const double ratio : {1.0 / 7, 2.0 / 7, 4.0 / 7}) {
    TopK keep(ratio, TopK::Ties::Keep);
    const torch::Tensor payload = keep.encode(x);
    EXPECT_EQ(payload.numel(), 4 * (1 + 4)) << ratio;
    EXPECT_TRUE(torch::equal(keep.decode(payload, 7), all_threes)) << ratio;
  }
  TopK five(5.0 / 7, TopK::Ties::Keep);
  EXPECT_TRUE(torch::equal(five.decode(five.encode(x), 7), tensor_of({0, -3, 3, 2, 3, 0, -3})));
  // Without ties both rules send the same k entries.
  const torch::Tensor distinct = torch::randn({1000}, generator(20));
  EXPECT_TRUE(torch::equal(TopK(0.01, TopK::Ties::Keep).encode(distinct), TopK(0.01).encode(distinct)));
  const auto ties = [](const char* rule) {
    return make_compressor({"topk", "layerwise", false, {{"ratio", 2.0 / 7}, {"ties", rule}}}, generator(21));
  };
  EXPECT_EQ(ties("keep")->encode(x).numel(), 4 * 5);
  EXPECT_EQ(ties("exact_k")->encode(x).numel(), 2 * 5);
}

TEST(compress, UnscaledRandomKSendsTheDrawnValuesUnchanged) {
  // Seed 003's and GRACE's RandomK (the default): the k drawn entries travel as they are, the rest are 0.
  const torch::Tensor x = torch::randn({300}, generator(22));
  auto randomk = make_compressor({"randomk", "layerwise", false, every_param()}, generator(23));
  const torch::Tensor payload = randomk->encode(x);
  EXPECT_EQ(payload.numel(), 3 * (2 + 4));  // k = ceil(0.01 * 300) = 3
  const torch::Tensor decoded = randomk->decode(payload, 300);
  const torch::Tensor kept = decoded.ne(0);
  EXPECT_EQ(kept.sum().item<int64_t>(), 3);
  EXPECT_TRUE(torch::equal(decoded.masked_select(kept), x.masked_select(kept)));
}

TEST(compress, ScaledRandomKIsUnbiasedAndUnscaledIsNot) {
  const torch::Tensor x = torch::randn({100}, generator(2));
  RandomK scaled(0.1, true, generator(3));
  const torch::Tensor one = scaled.decode(scaled.encode(x), 100);
  EXPECT_EQ(one.ne(0).sum().item<int64_t>(), 10);
  const torch::Tensor kept = one.ne(0);
  EXPECT_TRUE(torch::allclose(one.masked_select(kept), x.masked_select(kept) * 10.0));
  EXPECT_EQ(scaled.encode(x).numel(), 10 * 5);

  const int draws = 2000;
  expect_unbiased(mean_of_decodes(scaled, x, draws), x, x.abs() * std::sqrt(10.0 - 1.0), draws);

  RandomK unscaled(0.1, false, generator(4));
  const torch::Tensor mean = mean_of_decodes(unscaled, x, draws);
  const double slope = (mean.dot(x) / x.dot(x)).item<double>();  // E[decode] = (k/n) x = 0.1 x
  EXPECT_NEAR(slope, 0.1, 0.02);
}

TEST(compress, ThresholdKeepsEntriesAtOrAboveV) {
  const torch::Tensor x = tensor_of({0.5, -0.001, 0.001, 0.0009, -2, 0});
  Threshold threshold(0.001);
  const torch::Tensor payload = threshold.encode(x);
  EXPECT_EQ(payload.numel(), 4 * (1 + 4));
  EXPECT_TRUE(torch::equal(threshold.decode(payload, 6), tensor_of({0.5, -0.001, 0.001, 0, -2, 0})));
  EXPECT_EQ(threshold.encode(torch::full({10}, 1e-4)).numel(), 0);
}

TEST(compress, AdaptiveThresholdKeepsExactlyTheEntriesAtLeastHalfTheLargest) {
  // Seed 003's rule: max|x| = 4, so every |x| >= 2 travels (2 itself included), 1.9999 does not.
  const torch::Tensor x = tensor_of({1, -2, 4, -4, 2, 1.9999f, 0, 3});
  AdaptiveThreshold adaptive;
  const torch::Tensor payload = adaptive.encode(x);
  EXPECT_EQ(payload.numel(), 5 * (1 + 4));
  EXPECT_TRUE(torch::equal(adaptive.decode(payload, 8), tensor_of({0, -2, 4, -4, 2, 0, 0, 3})));
  // On a random vector: exactly the mask |x| >= max|x| / 2, the values unchanged, n = 70,000 (4-byte indices).
  const torch::Tensor g = torch::randn({70000}, generator(24)) * torch::exp(torch::randn({70000}, generator(25)));
  auto from_registry = make_compressor({"adaptive_threshold", "layerwise", false, every_param()}, generator(26));
  const torch::Tensor sent = from_registry->encode(g);
  const torch::Tensor mask = g.abs() >= g.abs().max() / 2;
  const int64_t count = mask.sum().item<int64_t>();
  ASSERT_GE(count, 1);
  EXPECT_EQ(sent.numel(), count * (4 + 4));
  EXPECT_TRUE(torch::equal(from_registry->decode(sent, 70000), torch::where(mask, g, torch::zeros_like(g))));
  // A vector of zeros sends nothing (its sum is the same).
  EXPECT_EQ(adaptive.encode(torch::zeros({10})).numel(), 0);
}

TEST(compress, TernGradIsTernaryAndUnbiased) {
  const torch::Tensor x = torch::randn({101}, generator(5));
  TernGrad terngrad(generator(6));
  const torch::Tensor payload = terngrad.encode(x);
  EXPECT_EQ(payload.numel(), 4 + (101 + 3) / 4);
  const float scale = x.abs().max().item<float>();
  const torch::Tensor one = terngrad.decode(payload, 101);
  EXPECT_TRUE(((one == 0) | (one == scale) | (one == -scale)).all().item<bool>());
  EXPECT_TRUE((one * x >= 0).all().item<bool>());
  const int draws = 2000;
  // Var = s|x| - x^2.
  expect_unbiased(mean_of_decodes(terngrad, x, draws), x, (scale * x.abs() - x * x).clamp_min(0).sqrt(), draws);
}

TEST(compress, QsgdIsUnbiasedWithPackedLevels) {
  const torch::Tensor x = torch::randn({100}, generator(7));
  for (const int levels : {4, 256}) {
    Qsgd qsgd(levels, generator(8));
    const int bits = levels == 4 ? 2 : 8;
    EXPECT_EQ(qsgd.level_bits(), bits);
    EXPECT_EQ(qsgd.encode(x).numel(), 4 + (100 * bits + 7) / 8 + (100 + 7) / 8);
    const int draws = 2000;
    // Stochastic rounding to a grid of step norm / (levels - 1): variance at most step^2 / 4.
    const double step = x.norm().item<double>() / (levels - 1);
    expect_unbiased(mean_of_decodes(qsgd, x, draws), x, torch::full_like(x, step / 2), draws);
  }
  EXPECT_EQ(Qsgd(5, generator(1)).level_bits(), 3);
  EXPECT_THROW(Qsgd(1, generator(1)), std::invalid_argument);
}

TEST_P(CompressOn, Fp16KeepsHalfPrecision) {
  std::unique_ptr<Compressor> fp16 = device().is_cpu() ? std::unique_ptr<Compressor>(std::make_unique<Fp16>())
                                                       : std::make_unique<DeviceFp16>();
  const auto round_trip = [&](const torch::Tensor& x) {
    return fp16->decode(fp16->encode(x.to(device())), x.numel()).cpu();
  };
  const torch::Tensor exact = tensor_of({0.5, -0.25, 3, 1024, -0.0078125});
  EXPECT_EQ(fp16->encode(exact.to(device())).numel(), 10);
  EXPECT_TRUE(torch::equal(round_trip(exact), exact));
  const torch::Tensor x = torch::randn({1000}, generator(9));
  const torch::Tensor back = round_trip(x);
  EXPECT_LE(((back - x).abs() / x.abs()).max().item<float>(), std::ldexp(1.0f, -11));
  EXPECT_TRUE(torch::equal(round_trip(tensor_of({1e6, -1e6})), tensor_of({65504, -65504})));
}

TEST(compress, SignSgdSendsScaledSigns) {
  SignSgd signsgd;
  const torch::Tensor x = tensor_of({1, -2, 0, 4, -1, 0.5, 2, -3, 1.5});
  const torch::Tensor payload = signsgd.encode(x);
  EXPECT_EQ(payload.numel(), 4 + 2);
  const float scale = x.abs().mean().item<float>();
  EXPECT_TRUE(torch::allclose(signsgd.decode(payload, 9), tensor_of({1, -1, 1, 1, -1, 1, 1, -1, 1}) * scale));
}

namespace {

// The uniforms TernGrad and QSGD draw after taking `generator`: 8 xorshift32 lanes seeded by randint(1, 2^31) draws,
// entry i from lane i % 8's (i / 8 + 1)-th step, its 24 high bits over 2^24 (docs/compression.md).
std::vector<float> lane_uniforms(torch::Generator g, int64_t n) {
  const torch::Tensor seeds = torch::randint(1, int64_t{1} << 31, {8}, g, torch::kInt64);
  uint32_t lane[8];
  for (int j = 0; j < 8; ++j) lane[j] = static_cast<uint32_t>(seeds[j].item<int64_t>());
  std::vector<float> u(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint32_t& v = lane[i % 8];
    v ^= v << 13;
    v ^= v >> 17;
    v ^= v << 5;
    u[static_cast<size_t>(i)] = static_cast<float>(static_cast<int32_t>(v >> 8)) / 16777216.0f;
  }
  return u;
}

// Gradient-like values with exact zeros of both signs, over several blocks of 2,048 and a tail of 1-7 entries.
torch::Tensor dense_input(int64_t n, uint64_t seed) {
  torch::Tensor x = torch::randn({n}, generator(seed));
  x.index_put_({torch::indexing::Slice(0, n, 97)}, 0.0f);
  x.index_put_({torch::indexing::Slice(5, n, 101)}, -0.0f);
  return x;
}

float header(const torch::Tensor& payload) {
  float value;
  std::memcpy(&value, payload.data_ptr<uint8_t>(), 4);
  return value;
}

}  // namespace

TEST(compress, TernGradPayloadIsItsDefinitionByteForByte) {
  for (const int64_t n : {int64_t{1}, int64_t{7}, int64_t{8}, int64_t{4099}, int64_t{5003}}) {
    const torch::Tensor x = dense_input(n, 40 + static_cast<uint64_t>(n));
    const torch::Tensor payload = TernGrad(generator(41)).encode(x);
    const std::vector<float> u = lane_uniforms(generator(41), n);
    const float* v = x.data_ptr<float>();
    const float scale = x.abs().max().item<float>();
    std::vector<uint8_t> expected(static_cast<size_t>(4 + (n + 3) / 4), 0);
    std::memcpy(expected.data(), &scale, 4);
    for (int64_t i = 0; i < n; ++i) {  // 1: u s < x, 2: u s < -x
      const float t = u[static_cast<size_t>(i)] * scale;
      const int code = (t < v[i] ? 1 : 0) | (t < -v[i] ? 2 : 0);
      expected[static_cast<size_t>(4 + i / 4)] |= static_cast<uint8_t>(code << (2 * (i % 4)));
    }
    ASSERT_EQ(payload.numel(), static_cast<int64_t>(expected.size())) << n;
    EXPECT_EQ(std::memcmp(payload.data_ptr<uint8_t>(), expected.data(), expected.size()), 0) << n;
  }
}

TEST(compress, QsgdPayloadIsItsDefinitionByteForByte) {
  for (const int levels : {4, 256}) {
    for (const int64_t n : {int64_t{1}, int64_t{7}, int64_t{8}, int64_t{4099}, int64_t{5003}}) {
      const torch::Tensor x = dense_input(n, 50 + static_cast<uint64_t>(n));
      Qsgd qsgd(levels, generator(51));
      const torch::Tensor payload = qsgd.encode(x);
      const std::vector<float> u = lane_uniforms(generator(51), n);
      const float* v = x.data_ptr<float>();
      const float norm = header(payload);
      EXPECT_NEAR(norm, x.norm().item<float>(), 1e-5 * norm);
      const auto top = static_cast<float>(levels - 1);
      const float per_norm = top / norm;
      std::vector<uint32_t> level(static_cast<size_t>(n));
      const int bits = qsgd.level_bits();
      const int64_t level_bytes = packed_bytes(n, bits);
      std::vector<uint8_t> expected(static_cast<size_t>(4 + level_bytes + packed_bytes(n, 1)), 0);
      std::memcpy(expected.data(), &norm, 4);
      for (int64_t i = 0; i < n; ++i) {  // floor(|x| / norm * top), one up when u < the remainder
        const float position = std::min(std::fabs(v[i]) * per_norm, top);
        const float below = std::floor(position);
        const float up = u[static_cast<size_t>(i)] < position - below ? 1.0f : 0.0f;
        level[static_cast<size_t>(i)] = static_cast<uint32_t>(std::min(below + up, top));
        expected[static_cast<size_t>(4 + level_bytes + i / 8)] |= static_cast<uint8_t>((v[i] < 0.0f) << (i % 8));
      }
      pack_bits(level.data(), n, bits, expected.data() + 4);
      ASSERT_EQ(payload.numel(), static_cast<int64_t>(expected.size())) << levels << " levels, n " << n;
      EXPECT_EQ(std::memcmp(payload.data_ptr<uint8_t>(), expected.data(), expected.size()), 0)
          << levels << " levels, n " << n;
    }
  }
}

// The norm in the header: squares summed in 8 float lanes per block of 2,048 values, the lanes then added in double
// in order, a block's last values (fewer than 8) before its lanes — whichever kernel the CPU runs (AVX2 sums four
// blocks at once).
TEST(compress, QsgdNormIsItsLaneSumBitForBit) {
  for (const int64_t n : {int64_t{1}, int64_t{8191}, int64_t{8192}, int64_t{2 * 8192 + 2048 + 13}}) {
    const torch::Tensor x = dense_input(n, 80 + static_cast<uint64_t>(n));
    const float* v = x.data_ptr<float>();
    double total = 0.0;
    for (int64_t block = 0; block < n; block += 2048) {
      const int64_t end = std::min(n, block + 2048);
      float lane[8] = {};
      int64_t i = block;
      for (; i + 8 <= end; i += 8)
        for (int j = 0; j < 8; ++j) lane[j] += v[i + j] * v[i + j];
      for (; i < end; ++i) total += v[i] * v[i];
      for (const float l : lane) total += l;
    }
    Qsgd qsgd(256, generator(81));
    EXPECT_EQ(header(qsgd.encode(x)), static_cast<float>(std::sqrt(total))) << n;
  }
}

TEST(compress, DecodeIsTheSumIntoZerosBitForBit) {
  for (const std::string method :
       {"topk", "randomk", "threshold", "adaptive_threshold", "terngrad", "qsgd", "fp16", "signsgd"}) {
    for (const int levels : {4, 256}) {
      nlohmann::json params = every_param();
      params["levels"] = levels;
      // (2^21 values and more are written past the caches.)
      for (const int64_t n : {int64_t{1}, int64_t{7}, int64_t{8}, int64_t{5003}, (int64_t{1} << 21) + 5}) {
        const torch::Tensor x = dense_input(n, 60 + static_cast<uint64_t>(n));
        auto compressor = make_compressor({method, "layerwise", false, params}, generator(61));
        const torch::Tensor payload = compressor->encode(x);
        torch::Tensor sum = torch::zeros({n});
        compressor->decode_add(payload, 1.0, sum);
        const torch::Tensor decoded = compressor->decode(payload, n);
        // Same bits, the sign of zeros included; decode_add still adds to what is there.
        EXPECT_TRUE(torch::equal(decoded.view(torch::kInt32), sum.view(torch::kInt32))) << method << " n " << n;
        torch::Tensor base = torch::randn({n}, generator(62));
        torch::Tensor added = base.clone();
        compressor->decode_add(payload, 0.5, added);
        EXPECT_TRUE(torch::allclose(added, base + 0.5 * decoded, 1e-6, 1e-6)) << method << " n " << n;
      }
      // A zero vector (QSGD's norm 0 sends no levels) decodes to zeros.
      const torch::Tensor zeros = torch::zeros({13});
      auto compressor = make_compressor({method, "layerwise", false, params}, generator(63));
      EXPECT_TRUE(torch::equal(compressor->decode(compressor->encode(zeros), 13), zeros)) << method;
    }
  }
}

TEST(compress, ErrorFeedbackLosesNothingOverSteps) {
  for (const std::string method :
       {"topk", "randomk", "threshold", "adaptive_threshold", "terngrad", "qsgd", "fp16", "signsgd"}) {
    nlohmann::json params = every_param();
    params["v"] = 0.5;
    auto compressor = make_compressor({method, "layerwise", false, params}, generator(10));
    ErrorFeedback memory;
    torch::Tensor inputs = torch::zeros({500}), transmitted = torch::zeros({500});
    for (int step = 0; step < 20; ++step) {
      const torch::Tensor g = torch::randn({500}, generator(100 + step));
      const torch::Tensor compensated = memory.compensate(0, g);
      const torch::Tensor payload = compressor->encode(compensated);
      const torch::Tensor decoded = compressor->decode(payload, 500);
      memory.update(0, compensated, decoded);
      inputs += g;
      transmitted += decoded;
    }
    EXPECT_TRUE(torch::allclose(transmitted + memory.residual(0), inputs, 1e-4, 1e-4)) << method;
  }
}

TEST(compress, EmptyTensorsEncodeAndDecode) {
  const torch::Tensor empty = torch::empty({0});
  for (const std::string method :
       {"topk", "randomk", "threshold", "adaptive_threshold", "terngrad", "qsgd", "fp16", "signsgd"}) {
    auto compressor = make_compressor({method, "layerwise", false, every_param()}, generator(11));
    const torch::Tensor payload = compressor->encode(empty);
    const bool has_scale = method == "terngrad" || method == "qsgd" || method == "signsgd";
    EXPECT_EQ(payload.numel(), has_scale ? 4 : 0) << method;
    EXPECT_EQ(compressor->decode(payload, 0).numel(), 0) << method;
  }
}

TEST(compress, AveragerOnOneRankCountsFrameBytes) {
  OneRank comm;
  EXPECT_EQ(make_averager(CompressionOptions{}, comm, 1), nullptr);
  auto averager = make_averager({"topk", "layerwise", false, {{"ratio", 0.1}, {"ties", "exact_k"}}}, comm, 1);
  EXPECT_DOUBLE_EQ(averager->compression_ratio(), 1.0);
  const torch::Tensor x = torch::randn({10, 30}, generator(12)), bias = torch::randn({7}, generator(13));
  std::vector<torch::Tensor> tensors = {x.clone(), bias.clone(), torch::empty({0, 3})};
  averager->average(tensors, 0.5);
  EXPECT_EQ(tensors[2].sizes(), (std::vector<int64_t>{0, 3}));
  TopK topk(0.1);
  EXPECT_TRUE(torch::allclose(tensors[0], topk.decode(topk.encode(x.reshape(-1)), 300).view({10, 30}) * 0.5));
  EXPECT_TRUE(torch::allclose(tensors[1], topk.decode(topk.encode(bias), 7) * 0.5));
  const int64_t wire = frame_bytes(30 * (2 + 4)) + frame_bytes(1 * (1 + 4)) + frame_bytes(0);
  EXPECT_EQ(frame_bytes(5), 4 + 8);
  EXPECT_EQ(averager->wire_bytes(), wire);
  EXPECT_EQ(averager->dense_bytes(), 307 * 4);
  EXPECT_DOUBLE_EQ(averager->compression_ratio(), static_cast<double>(wire) / (307 * 4));
}

TEST(compress, PowerSgdRecoversALowRankMatrixAndSendsFactors) {
  OneRank comm;
  PowerSgd powersgd(2, true, true, 14);
  EXPECT_TRUE(powersgd.compresses(10, 10));
  EXPECT_FALSE(powersgd.compresses(3, 3));
  const torch::Tensor low_rank = torch::randn({40, 2}, generator(15)).mm(torch::randn({2, 30}, generator(16)));
  const torch::Tensor bias = torch::randn({30}, generator(17));
  std::vector<torch::Tensor> tensors = {low_rank, bias};
  EXPECT_EQ(powersgd.reduce(tensors, comm), 4 * (2 * (40 + 30) + 30));
  EXPECT_TRUE(torch::allclose(tensors[0], low_rank, 1e-4, 1e-4));
  EXPECT_TRUE(torch::equal(tensors[1], bias));
  EXPECT_LT(powersgd.memory().residual(0).abs().max().item<float>(), 1e-4);

  // A full-rank matrix: approximation plus residual is the input.
  const torch::Tensor full = torch::randn({20, 20}, generator(18));
  PowerSgd fresh(1, false, true, 19);
  std::vector<torch::Tensor> one = {full};
  fresh.reduce(one, comm);
  EXPECT_TRUE(torch::allclose(one[0] + fresh.memory().residual(0), full, 1e-5, 1e-5));
  EXPECT_GT(fresh.memory().residual(0).norm().item<float>(), 1.0f);
}

namespace {

// The payload of exact top-k by definition: every entry above the k-th largest magnitude (NaN as infinity), then
// (exact_k) the lowest-index entries at it until k are taken, or (keep) all of them.
torch::Tensor exact_topk_payload(const torch::Tensor& x, int64_t k, TopK::Ties ties) {
  const torch::Tensor magnitude = torch::where(x.isnan(), torch::full_like(x, INFINITY), x.abs());
  const float kth = std::get<0>(magnitude.topk(k)).min().item<float>();
  const int64_t above = magnitude.gt(kth).sum().item<int64_t>();
  const float* m = magnitude.data_ptr<float>();
  std::vector<int64_t> indices;
  int64_t ties_left = k - above;
  for (int64_t i = 0; i < x.numel(); ++i)
    if (m[i] > kth || (m[i] == kth && (ties == TopK::Ties::Keep || ties_left-- > 0))) indices.push_back(i);
  const torch::Tensor index = torch::tensor(indices, torch::kInt64).to(torch::kInt32);
  return torch::cat({index.view(torch::kUInt8), x.index_select(0, index.to(torch::kInt64)).view(torch::kUInt8)});
}

}  // namespace

TEST(compress, TopKOfLargeVectorsIsTheExactTopK) {
  // From 2^20 entries topk cuts on a sampled threshold and fixes the count: the same bytes as the exact top-k,
  // with ties at the cut, with a NaN, and when the sample is misleading (the strided entries are the largest).
  const int64_t n = (int64_t{1} << 20) + 7;
  torch::Tensor normal = torch::randn({n}, generator(30));
  torch::Tensor tied = torch::round(normal * 8) / 8;  // thousands of entries at the cut
  tied[12345] = NAN;
  torch::Tensor misleading = torch::randn({n}, generator(31)) * 1e-3;
  misleading.index_put_({torch::arange(0, n, n / 65536)}, 1.0f);
  for (const torch::Tensor& x : {normal, tied, misleading})
    for (const double ratio : {0.001, 0.01, 0.1})
      for (const TopK::Ties ties : {TopK::Ties::ExactK, TopK::Ties::Keep}) {
        TopK topk(ratio, ties);
        EXPECT_TRUE(torch::equal(topk.encode(x), exact_topk_payload(x, topk.k(n), ties))) << ratio;
      }
}

TEST(compress, RandomKDrawsEveryEntryEquallyOften) {
  // Floyd's algorithm draws a uniform k-subset: over 4,000 draws of 10 of 50 entries each entry is drawn
  // 800 times on average (binomial standard deviation 25.3); all within 5 standard deviations, k distinct each time.
  RandomK randomk(0.2, false, generator(32));
  const torch::Tensor x = torch::arange(1, 51, torch::kFloat32);
  torch::Tensor drawn = torch::zeros({50});
  for (int draw = 0; draw < 4000; ++draw) {
    const torch::Tensor decoded = randomk.decode(randomk.encode(x), 50);
    ASSERT_EQ(decoded.ne(0).sum().item<int64_t>(), 10);
    drawn += decoded.ne(0).to(torch::kFloat32);
  }
  EXPECT_LE((drawn - 800).abs().max().item<float>(), 5 * 25.3);
}

TEST(compress, SharedSeedRandomKSendsTheSeedInsteadOfTheIndices) {
  // The same generator draws the same seed, so both formats stand for the same vector; the shared-seed payload is
  // the 8-byte seed and the k values.
  const torch::Tensor x = torch::randn({70000}, generator(33));
  auto sent = make_compressor({"randomk", "layerwise", false, {{"ratio", 0.01}, {"scaled", true}, {"indices", "sent"}}},
                              generator(34));
  auto seeded = make_compressor(
      {"randomk", "layerwise", false, {{"ratio", 0.01}, {"scaled", true}, {"indices", "shared_seed"}}}, generator(34));
  for (int step = 0; step < 3; ++step) {
    const torch::Tensor with_indices = sent->encode(x), with_seed = seeded->encode(x);
    EXPECT_EQ(with_indices.numel(), 700 * (4 + 4));
    EXPECT_EQ(with_seed.numel(), 8 + 700 * 4);
    EXPECT_TRUE(torch::equal(seeded->decode(with_seed, 70000), sent->decode(with_indices, 70000)));
  }
  EXPECT_THROW(seeded->decode(torch::zeros({8 + 699 * 4}, torch::kUInt8), 70000), std::runtime_error);
}

IDDL_ON_DEVICES(CompressOn);
