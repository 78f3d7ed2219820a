// Tests that run the real iddl-blas-probe executable in child processes.
#include <gtest/gtest.h>

#include "hardware/blas_kernel.hpp"

using namespace iddl::hardware;

namespace {
const std::string kProbe = IDDL_BIN_DIR "/iddl-blas-probe";
}  // namespace

TEST(BlasProbe, ReportsOpenblasKernelAndCorrectSgemm) {
  const BlasProbe probe = run_probe_process(kProbe, "");
  EXPECT_TRUE(probe.is_openblas) << probe.library;
  EXPECT_FALSE(probe.kernel.empty());
  EXPECT_NE(probe.config.find("OpenBLAS"), std::string::npos) << probe.config;
  EXPECT_TRUE(probe.correct) << probe.max_rel_error;
  EXPECT_GT(probe.sgemm_gflops, 0);
  std::cout << nlohmann::json(probe).dump() << "\n";
}

TEST(BlasProbe, JsonRoundTrip) {
  const BlasProbe probe{"/lib/libblas.so.3", true, "Haswell", "OpenBLAS 0.3.21", 90.5, 2e-7, true};
  const auto back = nlohmann::json::parse(nlohmann::json(probe).dump()).get<BlasProbe>();
  EXPECT_EQ(back.library, probe.library);
  EXPECT_EQ(back.kernel, probe.kernel);
  EXPECT_DOUBLE_EQ(back.sgemm_gflops, probe.sgemm_gflops);
  EXPECT_DOUBLE_EQ(back.max_rel_error, probe.max_rel_error);
  EXPECT_TRUE(back.correct);
}

TEST(BlasProbe, MissingExecutableIsNamed) {
  try {
    run_probe_process("/nonexistent/iddl-blas-probe", "");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/iddl-blas-probe"), std::string::npos);
  }
}

TEST(ChooseBlas, UserOverridePrescott) {
  const BlasChoice choice = choose_blas(kProbe, "Prescott");
  EXPECT_EQ(choice.kernel, "Prescott");
  EXPECT_EQ(choice.coretype_env, "Prescott");
  EXPECT_FALSE(choice.default_kernel.empty());
  std::cout << choice.reason << "\n";
}

TEST(ChooseBlas, DefaultIsCorrect) {
  const BlasChoice choice = choose_blas(kProbe, "");
  EXPECT_FALSE(choice.kernel.empty());
  EXPECT_FALSE(is_generic_kernel(choice.kernel));
  EXPECT_GT(choice.chosen_gflops, 0);
  std::cout << choice.reason << "\n";
}

TEST(ChooseBlas, UnknownOverrideIsAnError) {
  try {
    choose_blas(kProbe, "NoSuchCore");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not know the core type 'NoSuchCore'"),
              std::string::npos)
        << e.what();
  }
}
