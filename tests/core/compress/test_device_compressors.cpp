// One process: the device flavours of the compressors (torch operations, forced here on CPU tensors) against the CPU
// kernels: the same payload bytes for the deterministic methods, the same layout and statistics for the random ones,
// decoders equal bit for bit, clear errors for inputs a compressor cannot read, and the averager's device path;
// DeviceCompressOn: the device flavours on every device of tests/support/devices.hpp.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/compress/bit_pack.hpp"
#include "core/compress/compressed_averager.hpp"
#include "core/compress/compressor_registry.hpp"
#include "core/compress/compressors.hpp"
#include "core/compress/device_codec.hpp"
#include "core/compress/device_compressors.hpp"
#include "tests/core/compress/one_rank.hpp"
#include "tests/core/compress/unbiased.hpp"
#include "tests/support/devices.hpp"

namespace {

using namespace iddl::compress;
using iddl::testing::OneRank;
using iddl::testing::expect_unbiased;
using iddl::testing::mean_of_decodes;

torch::Generator generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

// `method` with every parameter at its default (docs/compression.md), `changes` applied.
CompressionOptions options_of(const std::string& method, const nlohmann::json& changes = nlohmann::json::object(),
                              bool error_feedback = false, const std::string& granularity = "layerwise") {
  nlohmann::json params = {{"ratio", 0.01}, {"ties", "exact_k"}, {"scaled", false},
                           {"indices", "sent"}, {"v", 0.001},     {"levels", 256}};
  for (const auto& [key, value] : changes.items()) params[key] = value;
  return {method, granularity, error_feedback, params};
}

// Every encode/decode method with parameter sets that reach each branch of its device flavour.
std::vector<CompressionOptions> every_setting() {
  return {options_of("topk"),
          options_of("topk", {{"ratio", 0.1}, {"ties", "keep"}}),
          options_of("randomk"),
          options_of("randomk", {{"ratio", 0.1}, {"scaled", true}}),
          options_of("randomk", {{"indices", "shared_seed"}}),
          options_of("threshold", {{"v", 0.5}}),
          options_of("adaptive_threshold"),
          options_of("terngrad"),
          options_of("qsgd", {{"levels", 4}}),
          options_of("qsgd", {{"levels", 5}}),
          options_of("qsgd"),
          options_of("qsgd", {{"levels", 1000}}),
          options_of("qsgd", {{"levels", 65536}}),
          options_of("fp16"),
          options_of("signsgd")};
}

// Whether the device flavour of `method` writes the CPU kernel's bytes (the others draw differently or sum in
// another order).
bool same_bytes(const std::string& method) { return method != "terngrad" && method != "qsgd" && method != "signsgd"; }

std::string name_of(const CompressionOptions& options) { return options.method + " " + options.params.dump(); }

// Gradient-like values with exact zeros of both signs and ties (multiples of 1/8 in the first half).
torch::Tensor input(int64_t n, uint64_t seed) {
  torch::Tensor x = torch::randn({n}, generator(seed));
  x.index_put_({torch::indexing::Slice(0, n, 97)}, 0.0f);
  x.index_put_({torch::indexing::Slice(5, n, 101)}, -0.0f);
  x.narrow(0, 0, n / 2).mul_(8).round_().div_(8);
  return x;
}

// The same bits (zeros' signs included).
bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && torch::equal(a.contiguous().view(torch::kInt32), b.contiguous().view(torch::kInt32));
}

float header(const torch::Tensor& payload) {
  const torch::Tensor bytes = payload.cpu().contiguous();
  float value;
  std::memcpy(&value, bytes.data_ptr<uint8_t>(), 4);
  return value;
}

// The message of the std::invalid_argument `call` throws ("" when it throws none).
std::string invalid_argument_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

class DeviceCompressOn : public iddl::testing::OnDevice {};

}  // namespace

TEST(DeviceCompress, EveryEncodeDecodeMethodHasADeviceFlavour) {
  for (const CompressorMethod& row : compressor_registry()) {
    EXPECT_EQ(row.device_compressor != nullptr, row.compressor != nullptr) << row.name;
    if (row.compressor == nullptr) {
      EXPECT_THROW(make_device_compressor(options_of(row.name), generator(1)), std::logic_error) << row.name;
    }
  }
}

TEST(DeviceCompress, PackedCodesHaveTheBitPackLayout) {
  for (int bits = 1; bits <= 16; ++bits) {
    for (const int64_t count : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{1003}}) {
      const torch::Tensor codes = torch::randint(0, int64_t{1} << bits, {count}, generator(bits), torch::kInt64);
      const torch::Tensor wide = codes.to(torch::kInt32);
      std::vector<uint8_t> expected(static_cast<size_t>(packed_bytes(count, bits)));
      pack_bits(reinterpret_cast<const uint32_t*>(wide.data_ptr<int32_t>()), count, bits, expected.data());
      const torch::Tensor packed = device::pack_codes(codes, bits);
      ASSERT_EQ(packed.numel(), static_cast<int64_t>(expected.size())) << bits << " bits, " << count;
      EXPECT_EQ(std::memcmp(packed.data_ptr<uint8_t>(), expected.data(), expected.size()), 0) << bits << " bits";
      EXPECT_TRUE(torch::equal(device::unpack_codes(packed, count, bits), codes)) << bits << " bits, " << count;
    }
  }
  const torch::Tensor indices = torch::tensor(std::vector<int64_t>{0, 255, 65535, 70000, 4294967295LL});
  for (const int width : {4, 8}) {
    const torch::Tensor bytes = device::integer_bytes(indices, width);
    EXPECT_EQ(bytes.numel(), 5 * width);
    EXPECT_TRUE(torch::equal(device::read_integers(bytes, 5, width), indices)) << width;
  }
  EXPECT_TRUE(torch::equal(device::integer_bytes(torch::tensor({258}, torch::kInt64), 2),
                           torch::tensor({2, 1}, torch::kUInt8)));  // little-endian, as the CPU kernels write
}

TEST(DeviceCompress, UniformsAreUniformAndDependOnlyOnTheSeed) {
  const int64_t n = int64_t{1} << 18;
  const torch::Tensor u = device::uniforms(7, n, torch::kFloat32);
  EXPECT_TRUE(torch::equal(u, device::uniforms(7, n, torch::kFloat32)));
  EXPECT_FALSE(torch::equal(u, device::uniforms(8, n, torch::kFloat32)));
  EXPECT_GE(u.min().item<float>(), 0.0f);
  EXPECT_LT(u.max().item<float>(), 1.0f);
  EXPECT_TRUE(torch::equal(u * 16777216.0f, (u * 16777216.0f).round()));  // 24-bit resolution
  // Mean within 5 standard errors of 1/2; 256 equal bins pass a chi-square test at 5 standard deviations
  // (255 degrees of freedom: mean 255, sd 22.6); neighbours uncorrelated within 5 standard errors.
  EXPECT_NEAR(u.mean().item<double>(), 0.5, 5 * std::sqrt(1.0 / 12.0 / static_cast<double>(n)));
  const torch::Tensor counts = torch::bincount((u * 256).to(torch::kInt64), {}, 256).to(torch::kFloat64);
  const double expected = static_cast<double>(n) / 256;
  EXPECT_LT(((counts - expected).pow(2) / expected).sum().item<double>(), 255 + 5 * 22.6);
  const torch::Tensor centred = u.to(torch::kFloat64) - 0.5;
  const double lag = (centred.narrow(0, 0, n - 1) * centred.narrow(0, 1, n - 1)).mean().item<double>() * 12.0;
  EXPECT_LT(std::fabs(lag), 5.0 / std::sqrt(static_cast<double>(n)));
}

TEST(DeviceCompress, DeterministicMethodsWriteTheCpuKernelsBytes) {
  // topk (both tie rules, and from 2^20 entries where the CPU kernel cuts on a sample), randomk (the same generator
  // draws the same seed and indices), threshold, adaptive_threshold and fp16: byte for byte.
  for (const CompressionOptions& options : every_setting()) {
    if (!same_bytes(options.method)) continue;
    for (const int64_t n : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{300}, int64_t{5003}, int64_t{70000},
                            (int64_t{1} << 20) + 7}) {
      if (n > 70000 && options.method != "topk") continue;
      const torch::Tensor x = input(n, 70 + static_cast<uint64_t>(n));
      auto cpu = make_compressor(options, generator(71));
      auto on_device = make_device_compressor(options, generator(71));
      for (int step = 0; step < 2; ++step)
        EXPECT_TRUE(torch::equal(on_device->encode(x), cpu->encode(x))) << name_of(options) << " n " << n;
    }
  }
  // Large magnitudes clamp to ±65504 in half precision on both paths.
  const torch::Tensor big = torch::tensor({1e6f, -1e6f, 65519.0f, 3.0e-8f}, torch::kFloat32);
  EXPECT_TRUE(torch::equal(DeviceFp16().encode(big), Fp16().encode(big)));
}

TEST(DeviceCompress, SignSgdAndTernGradSendTheCpuKernelsSignsAndScale) {
  // SignSGD: the same sign bits; the scale summed in float64 instead of float lanes, equal to a float's rounding.
  // TernGrad: the same scale (a maximum), codes of the same layout from other uniforms.
  for (const int64_t n : {int64_t{1}, int64_t{7}, int64_t{5003}, int64_t{70000}}) {
    const torch::Tensor x = input(n, 80 + static_cast<uint64_t>(n));
    const torch::Tensor cpu = SignSgd().encode(x), on_device = DeviceSignSgd().encode(x);
    ASSERT_EQ(on_device.numel(), cpu.numel()) << n;
    EXPECT_TRUE(torch::equal(on_device.narrow(0, 4, cpu.numel() - 4), cpu.narrow(0, 4, cpu.numel() - 4))) << n;
    EXPECT_NEAR(header(on_device), header(cpu), 1e-6 * header(cpu)) << n;
    const torch::Tensor ternary = DeviceTernGrad(generator(81)).encode(x);
    EXPECT_EQ(ternary.numel(), TernGrad(generator(81)).encode(x).numel()) << n;
    EXPECT_EQ(header(ternary), x.abs().max().item<float>()) << n;
    const torch::Tensor levels = DeviceQsgd(256, generator(82)).encode(x);
    EXPECT_EQ(levels.numel(), Qsgd(256, generator(82)).encode(x).numel()) << n;
    EXPECT_NEAR(header(levels), x.norm().item<float>(), 1e-5 * header(levels)) << n;
  }
}

TEST(DeviceCompress, DecodersEqualTheCpuDecodersBitForBit) {
  // Each path decodes the other's payloads, to the same bits: decode(encode(x)) is the same vector on both paths for
  // one payload, and decode_add adds weight times it as the CPU kernels do.
  for (const CompressionOptions& options : every_setting()) {
    for (const int64_t n : {int64_t{1}, int64_t{7}, int64_t{8}, int64_t{5003}, int64_t{70000}}) {
      const torch::Tensor x = input(n, 90 + static_cast<uint64_t>(n));
      auto cpu = make_compressor(options, generator(91));
      auto on_device = make_device_compressor(options, generator(91));
      for (const torch::Tensor& payload : {cpu->encode(x), on_device->encode(x)}) {
        const torch::Tensor decoded = cpu->decode(payload, n);
        EXPECT_TRUE(same_bits(on_device->decode(payload, n), decoded)) << name_of(options) << " n " << n;
        const torch::Tensor base = torch::randn({n}, generator(92));
        torch::Tensor by_cpu = base.clone(), by_device = base.clone();
        cpu->decode_add(payload, 0.75, by_cpu);
        on_device->decode_add(payload, 0.75, by_device);
        EXPECT_TRUE(same_bits(by_device, by_cpu)) << name_of(options) << " n " << n;
      }
    }
  }
}

TEST(DeviceCompress, RandomMethodsStayUnbiasedWithExactKOnTheDevicePath) {
  const torch::Tensor x = torch::randn({100}, generator(100));
  const int draws = 2000;
  DeviceTernGrad terngrad(generator(101));
  const float scale = x.abs().max().item<float>();
  const torch::Tensor one = terngrad.decode(terngrad.encode(x), 100);
  EXPECT_TRUE(((one == 0) | (one == scale) | (one == -scale)).all().item<bool>());
  EXPECT_TRUE((one * x >= 0).all().item<bool>());
  // Bernoulli(|x|/s) times s: standard deviation sqrt(|x| (s - |x|)).
  expect_unbiased(mean_of_decodes(terngrad, x, draws), x, (x.abs() * (scale - x.abs())).sqrt(), draws);
  for (const int levels : {4, 256}) {
    DeviceQsgd qsgd(levels, generator(102));
    const double step = x.norm().item<double>() / (levels - 1);
    expect_unbiased(mean_of_decodes(qsgd, x, draws), x, torch::full_like(x, step / 2), draws);
  }
  // randomk scaled by n/k: k entries every time, unbiased.
  DeviceRandomK randomk(0.1, true, generator(103));
  for (int draw = 0; draw < 10; ++draw)
    EXPECT_EQ(randomk.decode(randomk.encode(x), 100).ne(0).sum().item<int64_t>(), 10);
  expect_unbiased(mean_of_decodes(randomk, x, draws), x, x.abs() * std::sqrt(10.0 - 1.0), draws);
}

TEST(DeviceCompress, CompressorsRefuseInputsTheyCannotRead) {
  // The sparse CPU kernels check their input as the dense ones do, naming the compressor and what is wrong, instead
  // of copying it; the device flavours take any device but still a contiguous float32 vector.
  const torch::Tensor x = torch::randn({400}, generator(110));
  const torch::Tensor strided = x.slice(0, 0, 400, 2), wide = x.to(torch::kFloat64);
  for (const std::string method : {"topk", "randomk", "threshold", "adaptive_threshold", "terngrad", "fp16"}) {
    auto cpu = make_compressor(options_of(method), generator(111));
    auto on_device = make_device_compressor(options_of(method), generator(111));
    for (Compressor* compressor : {static_cast<Compressor*>(cpu.get()), static_cast<Compressor*>(on_device.get())}) {
      const std::string not_contiguous = invalid_argument_of([&] { compressor->encode(strided); });
      EXPECT_NE(not_contiguous.find(method + ": expected a contiguous float32"), std::string::npos) << not_contiguous;
      EXPECT_NE(not_contiguous.find("got a non-contiguous Float tensor on cpu"), std::string::npos) << not_contiguous;
      const std::string double_input = invalid_argument_of([&] { compressor->encode(wide); });
      EXPECT_NE(double_input.find("got a Double tensor on cpu"), std::string::npos) << double_input;
    }
    const torch::Tensor payload = cpu->encode(x);
    torch::Tensor double_sum = torch::zeros({400}, torch::kFloat64);
    const std::string sum = invalid_argument_of([&] { on_device->decode_add(payload, 1.0, double_sum); });
    EXPECT_NE(sum.find("the sum must be a contiguous float32 tensor on cpu, got a Double tensor"), std::string::npos)
        << sum;
  }
  // A sparse payload naming an index beyond the vector is refused on the device too: index 200 of 100 entries.
  const torch::Tensor bad = torch::cat({torch::tensor({200}, torch::kUInt8), torch::ones({1}).view(torch::kUInt8)});
  torch::Tensor sum = torch::zeros({100});
  EXPECT_THROW(DeviceTopK(0.01).decode_add(bad, 1.0, sum), std::runtime_error);
}

TEST(DeviceCompress, AveragerOnTheDevicePathEqualsTheCpuPath) {
  // On one rank, averaging through the device flavours gives the CPU kernels' sums, residuals and byte counts for
  // every method that writes the same bytes (over steps, with and without error feedback, both granularities).
  OneRank comm;
  for (const CompressionOptions& setting : every_setting()) {
    for (const bool error_feedback : {false, true}) {
      for (const std::string granularity : {"layerwise", "model"}) {
        CompressionOptions options = setting;
        options.error_feedback = error_feedback;
        options.granularity = granularity;
        auto cpu = make_averager(options, comm, 5);
        auto on_device = make_averager(options, comm, 5, CompressorPath::Device);
        for (int step = 0; step < 3; ++step) {
          const std::vector<torch::Tensor> grads = {torch::randn({20, 30}, generator(120 + step)),
                                                    torch::randn({30}, generator(130 + step)), torch::empty({0, 3})};
          std::vector<torch::Tensor> by_cpu, by_device;
          for (const torch::Tensor& g : grads) {
            by_cpu.push_back(g.clone());
            by_device.push_back(g.clone());
          }
          cpu->average(by_cpu, 0.5);
          on_device->average(by_device, 0.5);
          for (size_t i = 0; i < grads.size(); ++i) {
            if (same_bytes(options.method)) {
              EXPECT_TRUE(same_bits(by_device[i], by_cpu[i])) << name_of(options) << " " << granularity;
            } else if (options.method == "signsgd") {
              EXPECT_TRUE(torch::allclose(by_device[i], by_cpu[i], 1e-5, 1e-7)) << granularity;
            } else {
              EXPECT_TRUE(by_device[i].isfinite().all().item<bool>()) << name_of(options) << " " << granularity;
            }
          }
        }
        EXPECT_EQ(on_device->wire_bytes(), cpu->wire_bytes()) << name_of(options);
        EXPECT_EQ(on_device->dense_bytes(), cpu->dense_bytes()) << name_of(options);
        if (error_feedback && same_bytes(options.method)) {
          const auto cpu_state = cpu->state(), device_state = on_device->state();
          ASSERT_EQ(device_state.size(), cpu_state.size()) << name_of(options);
          for (const auto& [name, tensor] : cpu_state) {
            if (name.rfind("residual_", 0) == 0) {
              EXPECT_TRUE(same_bits(device_state.at(name), tensor)) << name_of(options) << " " << name;
            }
          }
        }
      }
    }
  }
}

TEST_P(DeviceCompressOn, EveryMethodEncodesAndDecodesOnTheTensorsDevice) {
  for (const CompressionOptions& options : every_setting()) {
    const torch::Tensor x = input(5003, 140);
    auto cpu = make_compressor(options, generator(141));
    auto on_device = make_device_compressor(options, generator(141));
    const torch::Tensor expected = cpu->encode(x);
    const torch::Tensor payload = on_device->encode(x.to(device()));
    EXPECT_EQ(payload.device(), device()) << name_of(options);
    ASSERT_EQ(payload.numel(), expected.numel()) << name_of(options);
    if (same_bytes(options.method)) {
      EXPECT_TRUE(torch::equal(payload.cpu(), expected)) << name_of(options);
    }
    const torch::Tensor decoded = on_device->decode(payload, 5003);
    EXPECT_EQ(decoded.device(), device()) << name_of(options);
    EXPECT_TRUE(same_bits(decoded.cpu(), cpu->decode(payload.cpu(), 5003))) << name_of(options);
  }
}

TEST_P(DeviceCompressOn, AveragerKeepsGradientsAndResidualsOnTheirDevice) {
  OneRank comm;
  for (const std::string method : {"topk", "fp16", "threshold"}) {
    auto on_device = make_averager(options_of(method, {{"v", 0.5}}, true), comm, 5);
    auto cpu = make_averager(options_of(method, {{"v", 0.5}}, true), comm, 5);
    const torch::Tensor g = torch::randn({40, 25}, generator(150));
    std::vector<torch::Tensor> there = {g.to(device())}, here = {g.clone()};
    for (int step = 0; step < 2; ++step) {
      on_device->average(there, 0.5);
      cpu->average(here, 0.5);
    }
    EXPECT_EQ(there[0].device(), device()) << method;
    EXPECT_TRUE(same_bits(there[0].cpu(), here[0])) << method;
    EXPECT_EQ(on_device->state().at("residual_0").device(), device()) << method;
  }
  // PowerSGD's matrices, factors and residuals stay on the device too (its products round as the device's).
  auto low_rank = make_averager(options_of("powersgd", {{"rank", 2}, {"warm_start", true}}, true), comm, 5);
  auto reference = make_averager(options_of("powersgd", {{"rank", 2}, {"warm_start", true}}, true), comm, 5);
  const torch::Tensor g = torch::randn({40, 25}, generator(151));
  std::vector<torch::Tensor> there = {g.to(device())}, here = {g.clone()};
  low_rank->average(there, 0.5);
  reference->average(here, 0.5);
  EXPECT_EQ(there[0].device(), device());
  EXPECT_TRUE(torch::allclose(there[0].cpu(), here[0], 1e-4, 1e-5));
  EXPECT_EQ(low_rank->state().at("powersgd_residual_0").device(), device());
}

IDDL_ON_DEVICES(DeviceCompressOn);
