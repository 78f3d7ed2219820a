#pragma once
// Device-parameterised tests: the same assertions on the CPU and, where LibTorch sees GPUs, on CUDA.
//   class MyTest : public iddl::testing::OnDevice {};
//   TEST_P(MyTest, Works) { ... device() ... }
//   IDDL_ON_DEVICES(MyTest);
// The CUDA instance skips, naming why, where CUDA cannot run (no CUDA LibTorch, no GPU, fewer GPUs than ranks).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace iddl::testing {

// The devices every device-parameterised test is instantiated for: the CPU, and CUDA.
inline std::vector<torch::Device> test_devices() { return {torch::Device(torch::kCPU), torch::Device(torch::kCUDA)}; }

// This process's rank among the ranks of mpirun on its host, and their number (0 and 1 outside mpirun).
inline int local_rank() {
  const char* rank = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  return rank ? std::atoi(rank) : 0;
}
inline int local_ranks() {
  const char* size = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  return size ? std::atoi(size) : 1;
}

// Why tests cannot run on `device` here, "" when they can: CUDA needs a CUDA LibTorch and one GPU per local
// rank (NCCL cannot put two ranks on one GPU).
inline std::string unavailable_reason(const torch::Device& device) {
  if (!device.is_cuda()) return "";
#ifndef IDDL_HAVE_CUDA_MEASURES
  return "CUDA: this IDDL is built against LibTorch " TORCH_VERSION " without CUDA";
#else
  if (!torch::cuda::is_available()) return "CUDA: LibTorch " TORCH_VERSION " sees no GPU";
  const auto gpus = static_cast<int>(torch::cuda::device_count());
  if (local_ranks() > gpus)
    return "CUDA: " + std::to_string(local_ranks()) + " ranks on this host but " + std::to_string(gpus) +
           " GPU(s): NCCL needs one GPU per rank";
  return "";
#endif
}

// The device of this rank: the CPU, or the local rank's GPU (made the current CUDA device, as run_device does).
inline torch::Device rank_device(const torch::Device& device) {
  if (!device.is_cuda()) return device;
  const torch::Device gpu(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank()));
  c10::impl::getDeviceGuardImpl(gpu.type())->setDevice(gpu);
  return gpu;
}

// A test over test_devices(): skipped, naming why, on a device that cannot run here; device() is this rank's.
class OnDevice : public ::testing::TestWithParam<torch::Device> {
 protected:
  void SetUp() override {
    const std::string why = unavailable_reason(GetParam());
    if (!why.empty()) GTEST_SKIP() << why;
    device_ = rank_device(GetParam());
  }
  const torch::Device& device() const { return device_; }
  // Float32 tensor options on device().
  torch::TensorOptions on_device() const { return torch::TensorOptions(torch::kFloat32).device(device_); }

 private:
  torch::Device device_{torch::kCPU};
};

// Names an instance by its device type: ".../cpu", ".../cuda".
inline std::string device_name(const ::testing::TestParamInfo<torch::Device>& info) {
  return info.param.is_cuda() ? "cuda" : "cpu";
}

}  // namespace iddl::testing

// Instantiates the TEST_Ps of `suite` (an OnDevice) for every device of test_devices().
#define IDDL_ON_DEVICES(suite)                                                                            \
  INSTANTIATE_TEST_SUITE_P(Devices, suite, ::testing::ValuesIn(::iddl::testing::test_devices()),      \
                           ::iddl::testing::device_name)
