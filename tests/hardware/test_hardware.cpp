// Tests of the CPU facts parser and of the BLAS kernel decision with scripted probes.
#include <gtest/gtest.h>

#include <map>

#include "hardware/blas_kernel.hpp"
#include "hardware/cpu_info.hpp"

using namespace iddl::hardware;

namespace {

// One /proc/cpuinfo entry of a 2-socket machine with 2 cores of 2 threads per socket.
std::string cpuinfo_entry(int processor, int socket, int core) {
  return "processor\t: " + std::to_string(processor) +
         "\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\n"
         "physical id\t: " +
         std::to_string(socket) + "\nsiblings\t: 4\ncore id\t\t: " + std::to_string(core) +
         "\ncpu cores\t: 2\nflags\t\t: fpu sse sse2 ssse3 fma avx avx2 avx512f avx512dq avx512bw "
         "avx512vl\n\n";
}

// Probe results by OPENBLAS_CORETYPE, standing in for iddl-blas-probe processes.
ProbeRunner scripted(std::map<std::string, BlasProbe> results) {
  return [results](const std::string& coretype) { return results.at(coretype); };
}

BlasProbe openblas(const std::string& kernel, double gflops, bool correct = true) {
  return {"/usr/lib/libopenblasp.so", true,   kernel, "OpenBLAS", gflops,
          correct ? 1e-7 : 0.5,       correct};
}

const std::set<std::string> kAvx512 = {"avx2",     "fma",      "avx512f",
                                       "avx512bw", "avx512dq", "avx512vl"};

}  // namespace

TEST(CpuInfo, ParsesModelTopologyAndFlags) {
  std::string text;
  int processor = 0;
  for (int socket = 0; socket < 2; ++socket) {
    for (int thread = 0; thread < 2; ++thread) {
      for (int core = 0; core < 2; ++core) text += cpuinfo_entry(processor++, socket, core);
    }
  }
  const CpuInfo info = parse_cpuinfo(text);
  EXPECT_EQ(info.model, "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz");
  EXPECT_EQ(info.sockets, 2);
  EXPECT_EQ(info.cores, 4);
  EXPECT_EQ(info.logical_cpus, 8);
  EXPECT_EQ(info.flags.count("avx512vl"), 1U);
  EXPECT_EQ(info.flags.count("sse2"), 1U);
  EXPECT_EQ(info.flags.size(), 11U);
}

TEST(CpuInfo, WithoutCoreIdsUsesCpuCores) {
  const CpuInfo info = parse_cpuinfo(
      "processor : 0\nmodel name : Virtual CPU\ncpu cores : 1\nflags : sse2\n\n"
      "processor : 1\nmodel name : Virtual CPU\ncpu cores : 1\nflags : sse2\n");
  EXPECT_EQ(info.sockets, 1);
  EXPECT_EQ(info.cores, 1);
  EXPECT_EQ(info.logical_cpus, 2);
}

TEST(CpuInfo, ReadsThisMachine) {
  const CpuInfo info = read_cpu_info();
  EXPECT_GT(info.logical_cpus, 0);
  EXPECT_GE(info.logical_cpus, info.cores);
  EXPECT_GT(info.memory_bytes, 0);
  EXPECT_FALSE(info.flags.empty());
  EXPECT_FALSE(host_name().empty());
}

TEST(BlasKernel, KernelForFlags) {
  EXPECT_EQ(kernel_for_flags(kAvx512), "SkylakeX");
  EXPECT_EQ(kernel_for_flags({"sse2", "avx", "avx2", "fma", "avx512f"}), "Haswell");
  EXPECT_EQ(kernel_for_flags({"sse2", "sse3", "avx", "avx2"}), "");
  EXPECT_EQ(kernel_for_flags({"sse2", "sse3", "ssse3"}), "");
}

TEST(BlasKernel, GenericKernels) {
  for (const char* name : {"Prescott", "PRESCOTT", "Core2", "Nehalem", "Sandybridge", "Bulldozer",
                           "Piledriver", "Opteron_SSE3", "Atom"}) {
    EXPECT_TRUE(is_generic_kernel(name)) << name;
  }
  for (const char* name : {"Haswell", "Zen", "SkylakeX", "Cooperlake", "Sapphirerapids", "ARMV8"}) {
    EXPECT_FALSE(is_generic_kernel(name)) << name;
  }
}

TEST(DecideBlas, KeepsAGoodDefault) {
  const BlasChoice choice =
      decide_blas(scripted({{"", openblas("Cooperlake", 120)}}), kAvx512, "", "");
  EXPECT_EQ(choice.default_kernel, "Cooperlake");
  EXPECT_EQ(choice.kernel, "Cooperlake");
  EXPECT_EQ(choice.coretype_env, "");
}

TEST(DecideBlas, ReplacesAGenericDefault) {
  const BlasChoice choice = decide_blas(
      scripted({{"", openblas("Prescott", 21.6)}, {"SkylakeX", openblas("SkylakeX", 121)}}),
      kAvx512, "", "");
  EXPECT_EQ(choice.default_kernel, "Prescott");
  EXPECT_EQ(choice.kernel, "SkylakeX");
  EXPECT_EQ(choice.coretype_env, "SkylakeX");
  EXPECT_DOUBLE_EQ(choice.default_gflops, 21.6);
  EXPECT_DOUBLE_EQ(choice.chosen_gflops, 121);
  EXPECT_NE(choice.reason.find("generic kernel Prescott"), std::string::npos) << choice.reason;
}

TEST(DecideBlas, KeepsGenericDefaultWhenBetterKernelIsWrong) {
  const BlasChoice choice = decide_blas(
      scripted({{"", openblas("Prescott", 21.6)}, {"SkylakeX", openblas("SkylakeX", 121, false)}}),
      kAvx512, "", "");
  EXPECT_EQ(choice.kernel, "Prescott");
  EXPECT_EQ(choice.coretype_env, "");
  EXPECT_NE(choice.reason.find("wrongly"), std::string::npos) << choice.reason;
}

TEST(DecideBlas, KeepsGenericDefaultWhenBetterKernelCrashes) {
  const ProbeRunner probe = [](const std::string& coretype) {
    if (coretype.empty()) return openblas("Prescott", 21.6);
    throw std::runtime_error("killed by signal 4");
  };
  const BlasChoice choice = decide_blas(probe, kAvx512, "", "");
  EXPECT_EQ(choice.kernel, "Prescott");
  EXPECT_NE(choice.reason.find("signal 4"), std::string::npos) << choice.reason;
}

TEST(DecideBlas, OverridesWinAndAreChecked) {
  const auto probe = scripted({{"", openblas("Cooperlake", 120)},
                               {"Haswell", openblas("Haswell", 90)},
                               {"Zen", openblas("Zen", 80, false)},
                               {"Foo", openblas("Cooperlake", 120)}});
  EXPECT_EQ(decide_blas(probe, kAvx512, "", "Haswell").coretype_env, "Haswell");
  EXPECT_EQ(decide_blas(probe, kAvx512, "Haswell", "").kernel, "Haswell");
  EXPECT_THROW(decide_blas(probe, kAvx512, "", "Zen"), std::runtime_error);
  EXPECT_THROW(decide_blas(probe, kAvx512, "", "Foo"), std::runtime_error);
}

TEST(DecideBlas, ReferenceBlasSaysHowToGetOpenblas) {
  const BlasProbe reference{
      "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", false, "", "", 3.2, 1e-7, true};
  const auto probe = scripted({{"", reference}});
  const BlasChoice choice = decide_blas(probe, kAvx512, "", "");
  EXPECT_EQ(choice.kernel, "");
  EXPECT_NE(choice.reason.find("apt-get install libopenblas0-openmp"), std::string::npos);
  EXPECT_THROW(decide_blas(probe, kAvx512, "", "SkylakeX"), std::runtime_error);
}
