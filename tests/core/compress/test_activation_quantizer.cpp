// One process: sort quantization and uniform quantization of activations (error bounds, sizes, heavy tails, seed 004's
// int8 / int16 containers).
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/compress/activation_quantizer.hpp"
#include "core/compress/bit_pack.hpp"

namespace {

using namespace iddl::compress;

torch::Generator generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

// A heavy-tailed tensor: normal values times log-normal scales.
torch::Tensor heavy_tailed(int64_t n) {
  return torch::randn({n}, generator(1)) * torch::exp(2.0 * torch::randn({n}, generator(2)));
}

// The absolute errors of a round trip through `quantizer`.
torch::Tensor abs_error(const ActivationQuantizer& quantizer, const torch::Tensor& x) {
  return (quantizer.decode(quantizer.encode(x), x.sizes()) - x).abs();
}

}  // namespace

TEST(compress, SortQuantErrorIsAtMostHalfAStepPerBucket) {
  const torch::Tensor x = torch::randn({8, 3, 17, 11}, generator(3));
  const int64_t n = x.numel();
  for (const int bits : {4, 8, 12, 16}) {
    const int split = 2;
    const ActivationQuantizer quantizer = sortquant(bits, split);
    const torch::Tensor payload = quantizer.encode(x);
    EXPECT_EQ(payload.numel(), quantizer.payload_bytes(n));
    EXPECT_EQ(payload.numel(), 8 * 4 + (n * (bits + split) + 7) / 8);
    const torch::Tensor decoded = quantizer.decode(payload, x.sizes());
    ASSERT_EQ(decoded.sizes(), x.sizes());
    const BucketTable table = quantizer.table(payload);
    // The buckets are equal-count slices of the sorted values.
    const auto [sorted, order] = x.reshape(-1).sort();
    const torch::Tensor error = (decoded - x).reshape(-1).index_select(0, order);
    for (int64_t j = 0; j < 4; ++j) {
      const int64_t begin = j * n / 4, end = (j + 1) * n / 4;
      const float min = sorted[begin].item<float>(), max = sorted[end - 1].item<float>();
      const float step = table.step[j].item<float>();
      EXPECT_EQ(table.min[j].item<float>(), min);
      EXPECT_NEAR(step, (max - min) / ((1 << bits) - 1), 1e-6 * (max - min));
      const float worst = error.narrow(0, begin, end - begin).abs().max().item<float>();
      EXPECT_LE(worst, step / 2 * (1 + 1e-3) + 1e-6 * std::max(std::abs(min), std::abs(max)))
          << bits << " bits, bucket " << j;
    }
  }
}

TEST(compress, UniformErrorIsAtMostHalfAStep) {
  const torch::Tensor x = torch::randn({1000}, generator(4)) * 3;
  for (const int bits : {1, 3, 8, 16}) {
    const ActivationQuantizer quantizer = uniform(bits);
    const torch::Tensor payload = quantizer.encode(x);
    EXPECT_EQ(payload.numel(), 8 + (1000 * bits + 7) / 8);
    const float step = quantizer.table(payload).step[0].item<float>();
    EXPECT_FLOAT_EQ(step, ((x.max() - x.min()) / ((1 << bits) - 1)).item<float>());
    const torch::Tensor decoded = quantizer.decode(payload, x.sizes());
    EXPECT_LE((decoded - x).abs().max().item<float>(), step / 2 * (1 + 1e-3) + 1e-5) << bits << " bits";
    if (bits == 8) {  // a code a byte: min + code * step exactly
      const BucketTable table = quantizer.table(payload);
      EXPECT_TRUE(torch::equal(decoded, table.min[0] + payload.slice(0, 8).to(torch::kFloat32) * table.step[0]));
    }
  }
  // A tensor decoded past the caches (2^21 values and more) decodes as its parts do.
  const torch::Tensor large = torch::randn({(1 << 21) + 5}, generator(5));
  const ActivationQuantizer eight = uniform(8);
  const torch::Tensor payload = eight.encode(large);
  const torch::Tensor decoded = eight.decode(payload, large.sizes());
  const BucketTable table = eight.table(payload);
  const torch::Tensor codes = payload.slice(0, 8).to(torch::kFloat32);
  EXPECT_TRUE(torch::equal(decoded, table.min[0] + codes * table.step[0]));
}

TEST(compress, IntContainersCarrySeedFoursBytes) {
  // Seed 004 sends the float32 (min, step) table, then every code (bucket bits included) as an int8 up to 8 bits and
  // an int16 above (Epipe, compression/functions.py: SortQuantization, QuantizationCPU). 210 values; the split is
  // seed 004's 3:1 (total bits / 4).
  const torch::Tensor x = torch::randn({6, 7, 5}, generator(5));
  const int64_t n = 210;
  struct Expected {
    int total, split;
    int64_t packed, in_int, uniform_packed, uniform_int;
  };
  for (const Expected& e : {Expected{4, 1, 16 + 105, 16 + 210, 8 + 105, 8 + 210},
                            Expected{8, 2, 32 + 210, 32 + 210, 8 + 210, 8 + 210},
                            Expected{12, 3, 64 + 315, 64 + 420, 8 + 315, 8 + 420}}) {
    const ActivationQuantizer packed(e.total - e.split, e.split);
    const ActivationQuantizer in_int(e.total - e.split, e.split, CodeContainer::Int);
    EXPECT_EQ(packed.encode(x).numel(), e.packed) << e.total << " bits";
    EXPECT_EQ(in_int.encode(x).numel(), e.in_int) << e.total << " bits";
    EXPECT_EQ(in_int.payload_bytes(n), e.in_int);
    EXPECT_EQ(uniform(e.total).encode(x).numel(), e.uniform_packed) << e.total << " bits";
    EXPECT_EQ(uniform(e.total, CodeContainer::Int).encode(x).numel(), e.uniform_int) << e.total << " bits";
    // The container changes the bytes, not the codes: both decode to the same values.
    EXPECT_TRUE(torch::equal(in_int.decode(in_int.encode(x), x.sizes()), packed.decode(packed.encode(x), x.sizes())));
    const ActivationQuantizer uniform_int = uniform(e.total, CodeContainer::Int);
    EXPECT_TRUE(torch::equal(uniform_int.decode(uniform_int.encode(x), x.sizes()),
                             uniform(e.total).decode(uniform(e.total).encode(x), x.sizes())));
  }
  // A 12-bit code fills a little-endian int16 of its own: entry i is bytes 64 + 2i and 64 + 2i + 1.
  const torch::Tensor packed = ActivationQuantizer(9, 3).encode(x);
  const torch::Tensor in_int = ActivationQuantizer(9, 3, CodeContainer::Int).encode(x);
  std::vector<uint32_t> codes(n);
  unpack_bits(packed.data_ptr<uint8_t>() + 64, n, 12, codes.data());
  const uint8_t* bytes = in_int.data_ptr<uint8_t>() + 64;
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(codes[static_cast<size_t>(i)], bytes[2 * i] | (uint32_t{bytes[2 * i + 1]} << 8)) << "entry " << i;
}

TEST(compress, SortQuantBeatsUniformOnHeavyTails) {
  const torch::Tensor x = heavy_tailed(100000);
  // The same code width (11 bits per entry): 8-bit levels in 8 buckets against 11-bit levels in one. The outer
  // buckets span the tails, so the mean error gains less than the typical (median) one.
  const torch::Tensor sorted = abs_error(sortquant(8, 3), x), flat = abs_error(uniform(11), x);
  EXPECT_LT(sorted.mean().item<double>(), flat.mean().item<double>());
  EXPECT_LT(sorted.median().item<double>(), flat.median().item<double>() / 10);
  // The same levels per bucket (8 bits).
  EXPECT_LT(abs_error(sortquant(8, 3), x).mean().item<double>(), abs_error(uniform(8), x).mean().item<double>() / 4);
}

TEST(compress, QuantizersHandleConstantAndEmptyTensors) {
  const torch::Tensor constant = torch::full({5, 5}, 1.5f);
  for (const ActivationQuantizer& quantizer : {sortquant(4, 1), uniform(4)}) {
    EXPECT_TRUE(torch::equal(quantizer.decode(quantizer.encode(constant), {5, 5}), constant));
    const torch::Tensor empty = torch::empty({0, 3});
    EXPECT_EQ(quantizer.decode(quantizer.encode(empty), {0, 3}).numel(), 0);
  }
  EXPECT_THROW(sortquant(6, 2), std::invalid_argument);
  EXPECT_THROW(sortquant(8, 0), std::invalid_argument);
  EXPECT_THROW(uniform(17), std::invalid_argument);
}

namespace {

// Today's definition of sortquant's payload, from a full stable sort: bucket j holds the sorted positions
// [j n / B, (j + 1) n / B), ties in index order; min, step and round((x - min) / step) per bucket.
std::vector<uint8_t> sorted_definition(const torch::Tensor& x, int bits, int split, int wire_bits) {
  const int64_t n = x.numel(), buckets = int64_t{1} << split;
  const auto [sorted, order] = x.sort(/*stable=*/true, 0, false);
  const float* s = sorted.data_ptr<float>();
  const int64_t* o = order.data_ptr<int64_t>();
  const auto top = static_cast<float>((1 << bits) - 1);
  std::vector<uint32_t> codes(static_cast<size_t>(n));
  std::vector<uint8_t> payload(static_cast<size_t>(8 * buckets + packed_bytes(n, wire_bits)));
  for (int64_t j = 0; j < buckets; ++j) {
    const int64_t begin = j * n / buckets, end = (j + 1) * n / buckets;
    const float min = s[begin], step = (s[end - 1] - s[begin]) / top;
    std::memcpy(payload.data() + 8 * j, &min, 4);
    std::memcpy(payload.data() + 8 * j + 4, &step, 4);
    for (int64_t p = begin; p < end; ++p) {
      const float level = step > 0.0f ? std::min(std::max(std::floor((s[p] - min) / step + 0.5f), 0.0f), top) : 0.0f;
      codes[static_cast<size_t>(o[p])] = static_cast<uint32_t>(j << bits) | static_cast<uint32_t>(level);
    }
  }
  pack_bits(codes.data(), n, wire_bits, payload.data() + 8 * buckets);
  return payload;
}

// Expects sortquant(8, split) of x to be the definition's bytes for split 1..4.
void expect_definition_payloads(const torch::Tensor& x) {
  for (const int split : {1, 2, 3, 4}) {
    const ActivationQuantizer quantizer = sortquant(8, split);
    const torch::Tensor payload = quantizer.encode(x);
    const std::vector<uint8_t> expected = sorted_definition(x, 8, split, quantizer.wire_bits());
    ASSERT_EQ(payload.numel(), static_cast<int64_t>(expected.size()));
    EXPECT_EQ(std::memcmp(payload.data_ptr<uint8_t>(), expected.data(), expected.size()), 0)
        << x.numel() << " values, split " << split;
  }
}

}  // namespace

TEST(compress, SortQuantOfSmallTensorsEqualsTheFullSortDefinition) {
  // Below 2^20 values (a pipeline boundary's micro-batch) the buckets come from order statistics selected inside
  // histogram bins: the same bytes as the stable sort, ties and zeros of either sign included.
  for (const int64_t n : {int64_t{16}, int64_t{210}, int64_t{18816}}) {
    const torch::Tensor normal = torch::randn({n}, generator(9));
    const torch::Tensor zeros = torch::rand({n}, generator(10)) < 0.33;
    const torch::Tensor signed_zeros = torch::where(torch::rand({n}, generator(11)) < 0.5, torch::zeros({n}),
                                                    -torch::zeros({n}));
    const torch::Tensor relu_like = torch::where(zeros, signed_zeros, normal);
    const torch::Tensor plus_zeros = torch::where(zeros, torch::zeros({n}), normal);  // no -0 at all
    const torch::Tensor rounded = torch::round(normal * 4) / 4;
    for (const torch::Tensor& x : {normal, relu_like, plus_zeros, rounded}) expect_definition_payloads(x);
  }
}

TEST(compress, SortQuantOfLargeTensorsEqualsTheFullSortDefinition) {
  // Above 2^20 values the buckets come from selected order statistics, not a sort: the payload must be the same
  // bytes, ties at a bucket boundary included (a third of the values 0 of either sign, so boundaries fall inside a
  // run of zeros).
  const int64_t n = (int64_t{1} << 20) + 5;
  const torch::Tensor normal = torch::randn({n}, generator(7));
  const torch::Tensor zeros = torch::rand({n}, generator(8)) < 0.33;
  const torch::Tensor signed_zeros = torch::where(torch::rand({n}, generator(11)) < 0.5, torch::zeros({n}),
                                                  -torch::zeros({n}));
  const torch::Tensor relu_like = torch::where(zeros, signed_zeros, normal);
  const torch::Tensor rounded = torch::round(normal * 4) / 4;  // many ties everywhere
  for (const torch::Tensor& x : {normal, relu_like, rounded}) expect_definition_payloads(x);
  for (const torch::Tensor& x : {normal, relu_like}) {  // and uniform's one bucket, from one min/max pass
    const torch::Tensor payload = uniform(8).encode(x);
    const std::vector<uint8_t> expected = sorted_definition(x, 8, 0, 8);
    EXPECT_EQ(std::memcmp(payload.data_ptr<uint8_t>(), expected.data(), expected.size()), 0);
  }
  const ActivationQuantizer in_int = sortquant(12, 2, CodeContainer::Int);
  const torch::Tensor payload = in_int.encode(relu_like);
  const std::vector<uint8_t> expected = sorted_definition(relu_like, 12, 2, 16);
  EXPECT_EQ(std::memcmp(payload.data_ptr<uint8_t>(), expected.data(), expected.size()), 0);
}
