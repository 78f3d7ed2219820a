// The machine's NVIDIA GPUs: names, memory, driver and CUDA versions, and how they are linked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hardware/gpu_topology.hpp"

namespace iddl::hardware {

// One GPU as the driver reports it.
struct GpuDevice {
  std::string name;
  int64_t memory_bytes = 0;
};

// The GPUs of a machine (none when it has no NVIDIA driver) and where the facts came from.
struct GpuInfo {
  std::vector<GpuDevice> devices;
  std::string driver_version;  // e.g. "535.104.05"; "" without GPUs
  std::string cuda_version;    // the CUDA version the driver supports, e.g. "12.2"; "" when unknown
  std::string source = "none";  // "nvml", "nvidia-smi" or "none"
  GpuTopology topology;         // from `nvidia-smi topo -m`; empty when unavailable
};

// Parses `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits`
// (memory in MiB); throws naming a line that is not three fields with a number in the middle.
GpuInfo parse_query_gpu(std::string_view text);

// The CUDA version in nvidia-smi's banner ("CUDA Version: 12.2"), "" when it has none.
std::string parse_cuda_version(std::string_view banner);

// A CUDA version number as NVML and the runtime give it (12020) as text ("12.2").
std::string cuda_version_text(int version);

// The GPUs of this machine from NVML (libnvidia-ml.so.1, loaded at run time), else from nvidia-smi
// processes, else none; the topology from `nvidia-smi topo -m` when there are GPUs.
GpuInfo read_gpu_info();

// The interconnect matrix from `nvidia-smi topo -m`; empty when nvidia-smi is absent, fails or prints no matrix.
GpuTopology read_gpu_topology();

// Only the GPUs a process sees under CUDA_VISIBLE_DEVICES (`visible`: its value, nullopt when unset):
// numeric indices select and order the devices and the topology; other entries (UUIDs) keep every GPU.
GpuInfo visible_gpus(const GpuInfo& info, const std::optional<std::string>& visible);

// The number of GPUs this process sees: those of read_gpu_info() that CUDA_VISIBLE_DEVICES leaves visible.
int visible_gpu_count();

// What a run records of its GPUs: their distinct names (", "-joined), count and smallest memory.
struct GpuSummary {
  std::string name;
  int count = 0;
  int64_t memory_bytes = 0;
};

// The summary of the GPUs in `info`.
GpuSummary summarize_gpus(const GpuInfo& info);

}  // namespace iddl::hardware
