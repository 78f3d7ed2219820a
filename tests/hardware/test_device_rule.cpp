// Tests of the device rule (hardware/device_rule.hpp) and of the GPU count it takes, with a fake nvidia-smi on PATH.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "hardware/device_rule.hpp"
#include "hardware/gpu_info.hpp"
#include "hardware/software_info.hpp"

using namespace iddl::hardware;

namespace {

constexpr DeviceFacts kCpuTorchWithGpus{2, false, true};
constexpr DeviceFacts kCudaTorchWithGpus{2, true, true};
constexpr DeviceFacts kCudaTorchWithoutGpus{0, true, true};

// Sets an environment variable for the lifetime of the object (unset: nullopt), then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value->c_str(), 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string what_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(hardware_device_rule, CudaRunsUseGpusAutoOnlyWithACudaLibTorchAndVisibleGpus) {
  EXPECT_TRUE(uses_cuda("cuda", kCudaTorchWithGpus));
  EXPECT_TRUE(uses_cuda("cuda", kCudaTorchWithoutGpus)) << "on Slurm the GPUs are on other machines";
  EXPECT_TRUE(uses_cuda("auto", kCudaTorchWithGpus));
  EXPECT_FALSE(uses_cuda("auto", kCudaTorchWithoutGpus));
  EXPECT_FALSE(uses_cuda("auto", kCpuTorchWithGpus)) << "no silent use of GPUs LibTorch cannot drive";
  EXPECT_FALSE(uses_cuda("cpu", kCudaTorchWithGpus));
}

TEST(hardware_device_rule, CudaWithoutACudaLibTorchFailsNamingLibTorch) {
  const std::string message = what_of([] { uses_cuda("cuda", kCpuTorchWithGpus); });
  EXPECT_NE(message.find("device = \"cuda\""), std::string::npos) << message;
  EXPECT_NE(message.find("LibTorch " + torch_version() + " without CUDA"), std::string::npos) << message;
  EXPECT_NE(message.find("docs/gpu.md"), std::string::npos) << message;
}

TEST(hardware_device_rule, WarnsOnlyWhenGpusAreVisibleToALibTorchWithoutCuda) {
  const std::string warning = cpu_fallback_warning(kCpuTorchWithGpus);
  EXPECT_EQ(warning.rfind("warning: 2 GPU(s) visible", 0), 0U) << warning;
  EXPECT_NE(warning.find("device = cpu"), std::string::npos) << warning;
  EXPECT_EQ(cpu_fallback_warning(kCudaTorchWithGpus), "");
  EXPECT_EQ(cpu_fallback_warning(DeviceFacts{0, false, true}), "");
}

TEST(hardware_device_rule, NcclNeedsAGpuPerRank) {
  EXPECT_NO_THROW(require_gpu_per_rank(2, kCudaTorchWithGpus));
  const std::string message = what_of([] { require_gpu_per_rank(3, kCudaTorchWithGpus); });
  EXPECT_NE(message.find("3 ranks on CUDA but 2 GPU(s) visible"), std::string::npos) << message;
  EXPECT_NE(message.find("NCCL needs one GPU per rank"), std::string::npos) << message;
  EXPECT_NO_THROW(require_gpu_per_rank(3, DeviceFacts{2, true, false})) << "MPI alone lets ranks share a GPU";
  EXPECT_NE(what_of([] { require_gpu_per_rank(1, kCudaTorchWithoutGpus); }).find("no GPU is visible"),
            std::string::npos);
}

TEST(hardware_device_rule, VisibleGpusComeFromNvidiaSmiAndCudaVisibleDevices) {
  if (void* nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL)) {
    dlclose(nvml);
    GTEST_SKIP() << "this machine has an NVIDIA driver: NVML answers before the fake nvidia-smi";
  }
  const ScopedEnv path("PATH", std::string(IDDL_SOURCE_DIR) + "/tests/support/fake_gpus:" + std::getenv("PATH"));
  {
    const ScopedEnv visible("CUDA_VISIBLE_DEVICES", std::nullopt);
    EXPECT_EQ(visible_gpu_count(), 2);
    EXPECT_EQ(this_process_device_facts().visible_gpus, 2);
  }
  {
    const ScopedEnv visible("CUDA_VISIBLE_DEVICES", "1");
    EXPECT_EQ(visible_gpu_count(), 1);
  }
  {
    const ScopedEnv visible("CUDA_VISIBLE_DEVICES", "");
    EXPECT_EQ(visible_gpu_count(), 0) << "an empty CUDA_VISIBLE_DEVICES hides every GPU";
  }
}
