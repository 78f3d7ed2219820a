// Tests of the instruction sets each OpenBLAS kernel needs, and of the check made before a kernel is forced,
// on given flag sets (no CPU of this machine involved).
#include <gtest/gtest.h>

#include <stdexcept>

#include "hardware/blas_kernel.hpp"
#include "hardware/blas_kernel_flags.hpp"

using namespace iddl::hardware;

namespace {

using Flags = std::set<std::string>;
using Names = std::vector<std::string>;

// A Haswell-class CPU: AVX2 and FMA, no AVX-512.
const Flags kHaswell = {"sse2", "pni", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma"};

// The message of the error `check` throws, "" when it throws none.
std::string error_of(const std::function<void()>& check) {
  try {
    check();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(KernelFlags, NamesTheInstructionSetsOfEachKernel) {
  EXPECT_EQ(kernel_required_flags("SkylakeX"), (Names{"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"}));
  EXPECT_EQ(kernel_required_flags("skylakex"), kernel_required_flags("SkylakeX"));
  EXPECT_EQ(kernel_required_flags("Cooperlake").back(), "avx512_bf16");
  EXPECT_EQ(kernel_required_flags("Haswell"), (Names{"avx2", "fma"}));
  EXPECT_EQ(kernel_required_flags("Zen"), (Names{"avx2", "fma"}));
  EXPECT_EQ(kernel_required_flags("Sandybridge"), (Names{"avx"}));
  EXPECT_EQ(kernel_required_flags("Bulldozer"), (Names{"avx", "fma4"}));
  EXPECT_EQ(kernel_required_flags("Nehalem"), (Names{"sse4_2"}));
  EXPECT_EQ(kernel_required_flags("Prescott"), (Names{"pni"}));
  EXPECT_TRUE(kernel_required_flags("Katmai").empty());
  EXPECT_TRUE(kernel_required_flags("NoSuchCore").empty());
}

// The best kernel kernel_for_flags picks for a CPU is one the check lets that CPU run.
TEST(KernelFlags, AgreesWithTheKernelChosenFromTheFlags) {
  const Flags avx512 = {"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"};
  for (const Flags& flags : {kHaswell, avx512}) {
    EXPECT_TRUE(missing_kernel_flags(kernel_for_flags(flags), flags).empty()) << kernel_for_flags(flags);
  }
}

TEST(KernelFlags, MissingFlagsInTheTablesOrder) {
  EXPECT_EQ(missing_kernel_flags("SkylakeX", kHaswell), (Names{"avx512f", "avx512bw", "avx512dq", "avx512vl"}));
  EXPECT_EQ(missing_kernel_flags("Cooperlake", {"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"}),
            (Names{"avx512_bf16"}));
  EXPECT_TRUE(missing_kernel_flags("Haswell", kHaswell).empty());
  EXPECT_TRUE(missing_kernel_flags("Sandybridge", kHaswell).empty());
  EXPECT_EQ(missing_kernel_flags("Haswell", {"sse2", "avx"}), (Names{"avx2", "fma"}));
  EXPECT_TRUE(missing_kernel_flags("NoSuchCore", {}).empty());
}

TEST(KernelFlags, TheCheckNamesKernelSourceMissingSetsAndTheBestKernel) {
  const std::string error = error_of([] { require_kernel_runs_on("SkylakeX", kHaswell, "--blas-coretype"); });
  EXPECT_NE(error.find("OpenBLAS kernel 'SkylakeX' from --blas-coretype needs the instruction sets "
                       "avx512f, avx512bw, avx512dq, avx512vl that this CPU lacks"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("SIGILL"), std::string::npos) << error;
  EXPECT_NE(error.find("at most 'Haswell'"), std::string::npos) << error;

  const std::string old_cpu = error_of([] { require_kernel_runs_on("Haswell", {"sse2", "pni"}, "the environment"); });
  EXPECT_NE(old_cpu.find("needs the instruction sets avx2, fma"), std::string::npos) << old_cpu;
  EXPECT_NE(old_cpu.find("Prescott"), std::string::npos) << old_cpu;

  EXPECT_EQ(error_of([] { require_kernel_runs_on("Haswell", kHaswell, "--blas-coretype"); }), "");
}

// decide_blas refuses a forced kernel the CPU cannot run before any probe process tries it.
TEST(KernelFlags, DecideBlasRefusesAnUnrunnableKernelWithoutProbingIt) {
  std::vector<std::string> probed;
  const ProbeRunner probe = [&](const std::string& coretype) {
    probed.push_back(coretype);
    if (!coretype.empty()) throw std::runtime_error("killed by signal 4 (Illegal instruction)");
    return BlasProbe{"/usr/lib/libopenblasp.so", true, "Haswell", "OpenBLAS", 90, 1e-7, true};
  };
  const std::string by_option = error_of([&] { decide_blas(probe, kHaswell, "", "SkylakeX"); });
  EXPECT_NE(by_option.find("'SkylakeX' from --blas-coretype needs"), std::string::npos) << by_option;
  const std::string by_environment = error_of([&] { decide_blas(probe, kHaswell, "Cooperlake", ""); });
  EXPECT_NE(by_environment.find("'Cooperlake' from the environment (OPENBLAS_CORETYPE) needs"), std::string::npos)
      << by_environment;
  EXPECT_EQ(probed, (Names{"", ""}));
}
