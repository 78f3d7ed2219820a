// Tests of the GPU facts parsers, the CUDA_VISIBLE_DEVICES view, the machine facts and the build's versions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "fixtures.hpp"
#include "hardware/gpu_info.hpp"
#include "hardware/machine_facts.hpp"
#include "hardware/slot_scheduler.hpp"
#include "hardware/software_info.hpp"

using namespace iddl::hardware;

namespace {

constexpr int64_t kMiB = 1024 * 1024;

// Two V100s from the recorded query output, with the DGX's topology trimmed to them.
GpuInfo two_v100s() {
  GpuInfo info = parse_query_gpu(fixture("query_gpu_v100x2.csv"));
  info.topology = sub_topology(parse_topology(fixture("dgx1_nvlink_8gpu.txt")), {0, 3});
  return info;
}

// The NVIDIA GPU device files (/dev/nvidia0, /dev/nvidia1, ...) of this machine: GPUs found without nvidia-smi.
int nvidia_device_files() {
  int count = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/dev", error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 6 && name.rfind("nvidia", 0) == 0 &&
        std::all_of(name.begin() + 6, name.end(), [](unsigned char c) { return std::isdigit(c); }))
      ++count;
  }
  return count;
}

}  // namespace

TEST(hardware_gpu_info, ParsesTheQueryGpuCsv) {
  const GpuInfo info = parse_query_gpu(fixture("query_gpu_v100x2.csv"));
  ASSERT_EQ(info.devices.size(), 2U);
  EXPECT_EQ(info.devices[0].name, "Tesla V100-SXM2-16GB");
  EXPECT_EQ(info.devices[1].memory_bytes, 16160 * kMiB);
  EXPECT_EQ(info.driver_version, "470.57.02");
  EXPECT_TRUE(parse_query_gpu("").devices.empty());
}

TEST(hardware_gpu_info, RejectsAQueryLineWithoutMemoryNamingIt) {
  try {
    parse_query_gpu("GeForce GTX 970, [N/A], 440.33.01\n");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'GeForce GTX 970, [N/A], 440.33.01'"), std::string::npos) << e.what();
  }
}

TEST(hardware_gpu_info, ReadsTheCudaVersionFromTheBannerAndFromNumbers) {
  EXPECT_EQ(parse_cuda_version("| NVIDIA-SMI 440.33.01    Driver Version: 440.33.01    CUDA Version: 10.2     |"),
            "10.2");
  EXPECT_EQ(parse_cuda_version("CUDA Version : 12.4\n"), "12.4");
  EXPECT_EQ(parse_cuda_version("No devices were found"), "");
  EXPECT_EQ(cuda_version_text(12020), "12.2");
  EXPECT_EQ(cuda_version_text(10020), "10.2");
}

TEST(hardware_gpu_info, VisibleDevicesSelectAndOrderTheGpus) {
  GpuInfo info = two_v100s();
  info.devices[1].name = "Tesla V100-SXM2-32GB";
  info.devices[1].memory_bytes = 32510 * kMiB;
  const GpuInfo second = visible_gpus(info, std::string("1"));
  ASSERT_EQ(second.devices.size(), 1U);
  EXPECT_EQ(second.devices[0].name, "Tesla V100-SXM2-32GB");
  EXPECT_EQ(topology_text(second.topology), "X");
  EXPECT_EQ(topology_text(visible_gpus(info, std::string("1,0")).topology), "X NV2; NV2 X");
  EXPECT_EQ(visible_gpus(info, std::nullopt).devices.size(), 2U);
  EXPECT_EQ(visible_gpus(info, std::string("GPU-8f6e3a1c")).devices.size(), 2U) << "UUIDs keep every GPU";
  EXPECT_TRUE(visible_gpus(info, std::string("")).devices.empty());
  EXPECT_EQ(visible_gpus(info, std::string("0,5,1")).devices.size(), 1U) << "CUDA stops at an invalid index";
}

TEST(hardware_gpu_info, SummaryHasDistinctNamesCountAndSmallestMemory) {
  GpuInfo info = two_v100s();
  info.devices.push_back({"Tesla V100-SXM2-32GB", 32510 * kMiB});
  const GpuSummary summary = summarize_gpus(info);
  EXPECT_EQ(summary.name, "Tesla V100-SXM2-16GB, Tesla V100-SXM2-32GB");
  EXPECT_EQ(summary.count, 3);
  EXPECT_EQ(summary.memory_bytes, 16160 * kMiB);
  EXPECT_EQ(summarize_gpus(GpuInfo{}).count, 0);
}

TEST(hardware_gpu_info, ThisMachineWithoutGpuHasNone) {
  if (nvidia_device_files() > 0) GTEST_SKIP() << "this machine has NVIDIA GPUs";
  const GpuInfo info = read_gpu_info();
  EXPECT_TRUE(info.devices.empty());
  EXPECT_EQ(info.source, "none");
}

TEST(hardware_machine_facts, ParsesTheMpirunVersion) {
  EXPECT_EQ(parse_mpirun_version("mpirun (Open MPI) 4.1.4\n\nReport bugs to http://www.open-mpi.org/community/help/\n"),
            "Open MPI 4.1.4");
  EXPECT_EQ(parse_mpirun_version("HYDRA build details:\n"), "HYDRA build details:");
  EXPECT_EQ(parse_mpirun_version(""), "unknown");
}

TEST(hardware_machine_facts, FormatsCpuGpusVersionsAndTheMatrix) {
  MachineFacts facts;
  facts.host = "dgx-07";
  facts.cpu.model = "Intel(R) Xeon(R) CPU E5-2698 v4 @ 2.20GHz";
  facts.cpu.sockets = 2;
  facts.cpu.cores = 40;
  facts.cpu.logical_cpus = 80;
  facts.cpu.memory_bytes = int64_t{512} * 1024 * kMiB;
  facts.gpus = two_v100s();
  facts.gpus.cuda_version = "11.4";
  facts.gpus.source = "nvidia-smi";
  facts.software = {"Open MPI 4.1.4", "2.28.9", "2.1.0", "13.0.48", "GNU 12.2.0", "abc123"};
  const std::string text = format_machine_facts(facts);
  for (const char* expected : {"host           dgx-07\n", "sockets        2\n", "cores          40 physical, 80 logical\n",
                               "memory         512.0 GiB\n", "GPUs           2 (from nvidia-smi)\n",
                               "GPU1           Tesla V100-SXM2-16GB, 15.8 GiB\n", "GPU driver     470.57.02\n",
                               "CUDA (driver)  11.4\n", "NCCL           2.28.9\n", "MPI            Open MPI 4.1.4\n",
                               "GPU0      X   NV2\n", "GPU1    NV2     X\n"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " not in\n" << text;
  const nlohmann::json json = machine_facts_json(facts);
  EXPECT_EQ(json["gpus"][1]["memory_bytes"], 16160 * kMiB);
  EXPECT_EQ(json["gpu_topology"], nlohmann::json::parse(R"([["X","NV2"],["NV2","X"]])"));
  EXPECT_EQ(json["cpu"]["sockets"], 2);
  EXPECT_EQ(json["software"]["nccl"], "2.28.9");
}

TEST(hardware_machine_facts, WithoutGpusSaysNoneAndPrintsNoMatrix) {
  MachineFacts facts;
  facts.software.nccl = "none";
  const std::string text = format_machine_facts(facts);
  EXPECT_NE(text.find("\nGPUs          none\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("interconnect"), std::string::npos) << text;
}

TEST(hardware_software_info, NcclVersionIsNumbersOrNone) {
  const std::string version = nccl_version();
  EXPECT_TRUE(version == "none" || std::count(version.begin(), version.end(), '.') == 2) << version;
  EXPECT_FALSE(torch_version().empty());
}
