#include "hardware/gpu_info.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "hardware/program_output.hpp"

namespace iddl::hardware {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

std::string trimmed(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(" \t\r") - first + 1));
}

// The comma-separated fields of a CSV line, trimmed.
std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) out.push_back(trimmed(field));
  return out;
}

bool is_number(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// NVML's C API, declared here so that nothing links against libnvidia-ml: it is loaded at run time.
using NvmlDevice = struct NvmlDeviceOpaque*;
struct NvmlMemory {
  unsigned long long total, free, used;
};
using NvmlInit = int (*)();
using NvmlShutdown = int (*)();
using NvmlDeviceCount = int (*)(unsigned int*);
using NvmlDeviceByIndex = int (*)(unsigned int, NvmlDevice*);
using NvmlDeviceName = int (*)(NvmlDevice, char*, unsigned int);
using NvmlDeviceMemory = int (*)(NvmlDevice, NvmlMemory*);
using NvmlDriverVersion = int (*)(char*, unsigned int);
using NvmlCudaVersion = int (*)(int*);

// libnvidia-ml.so.1, opened for the lifetime of the object; `loaded()` is false without an NVIDIA driver.
class NvmlLibrary {
 public:
  NvmlLibrary() : handle_(dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL)) {}
  ~NvmlLibrary() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  bool loaded() const { return handle_ != nullptr; }

  // The named function, or nullptr when this NVML lacks it.
  template <typename Function>
  Function get(const char* name) const {
    return reinterpret_cast<Function>(dlsym(handle_, name));
  }

 private:
  void* handle_;
};

// The GPUs as NVML reports them, or nullopt when NVML is absent or fails.
std::optional<GpuInfo> read_with_nvml() {
  const NvmlLibrary nvml;
  if (!nvml.loaded()) return std::nullopt;
  const auto init = nvml.get<NvmlInit>("nvmlInit_v2");
  const auto shutdown = nvml.get<NvmlShutdown>("nvmlShutdown");
  const auto count = nvml.get<NvmlDeviceCount>("nvmlDeviceGetCount_v2");
  const auto by_index = nvml.get<NvmlDeviceByIndex>("nvmlDeviceGetHandleByIndex_v2");
  const auto name = nvml.get<NvmlDeviceName>("nvmlDeviceGetName");
  const auto memory = nvml.get<NvmlDeviceMemory>("nvmlDeviceGetMemoryInfo");
  const auto driver = nvml.get<NvmlDriverVersion>("nvmlSystemGetDriverVersion");
  const auto cuda = nvml.get<NvmlCudaVersion>("nvmlSystemGetCudaDriverVersion");
  if (!init || !shutdown || !count || !by_index || !name || !memory || !driver || !cuda || init() != 0)
    return std::nullopt;
  GpuInfo info;
  info.source = "nvml";
  unsigned int devices = 0;
  char text[256] = {};
  int cuda_version = 0;
  bool ok = count(&devices) == 0 && driver(text, sizeof text) == 0;
  info.driver_version = text;
  if (ok && cuda(&cuda_version) == 0) info.cuda_version = cuda_version_text(cuda_version);
  for (unsigned int i = 0; ok && i < devices; ++i) {
    NvmlDevice device = nullptr;
    NvmlMemory bytes{};
    ok = by_index(i, &device) == 0 && name(device, text, sizeof text) == 0 && memory(device, &bytes) == 0;
    info.devices.push_back({text, static_cast<int64_t>(bytes.total)});
  }
  shutdown();
  if (!ok) return std::nullopt;
  return info;
}

// The GPUs as nvidia-smi processes report them, or nullopt when nvidia-smi is absent or fails.
std::optional<GpuInfo> read_with_nvidia_smi() {
  const auto query =
      program_output({"nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"});
  if (!query) return std::nullopt;
  GpuInfo info = parse_query_gpu(*query);
  info.source = "nvidia-smi";
  if (const auto banner = program_output({"nvidia-smi"})) info.cuda_version = parse_cuda_version(*banner);
  return info;
}

// The CUDA_VISIBLE_DEVICES entries, or nullopt when one is not a device index.
std::optional<std::vector<int>> device_indices(const std::string& visible) {
  std::vector<int> indices;
  for (const std::string& entry : fields(visible)) {
    if (!is_number(entry)) return std::nullopt;
    indices.push_back(std::stoi(entry));
  }
  return indices;
}

}  // namespace

GpuInfo parse_query_gpu(std::string_view text) {
  GpuInfo info;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    if (trimmed(line).empty()) continue;
    const std::vector<std::string> row = fields(line);
    if (row.size() != 3 || !is_number(row[1]))
      throw std::invalid_argument("nvidia-smi --query-gpu line is not 'name, memory MiB, driver': '" + line + "'");
    info.devices.push_back({row[0], std::stoll(row[1]) * kMiB});
    info.driver_version = row[2];
  }
  return info;
}

std::string parse_cuda_version(std::string_view banner) {
  const size_t at = banner.find("CUDA Version");
  if (at == std::string_view::npos) return "";
  const size_t colon = banner.find(':', at);
  if (colon == std::string_view::npos) return "";
  const size_t first = banner.find_first_not_of(' ', colon + 1);
  if (first == std::string_view::npos) return "";
  const size_t last = banner.find_first_not_of("0123456789.", first);
  return std::string(banner.substr(first, last == std::string_view::npos ? std::string_view::npos : last - first));
}

std::string cuda_version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

GpuInfo read_gpu_info() {
  std::optional<GpuInfo> info = read_with_nvml();
  if (!info) info = read_with_nvidia_smi();
  if (!info || info->devices.empty()) return GpuInfo{};
  info->topology = read_gpu_topology();
  return *info;
}

GpuTopology read_gpu_topology() {
  const auto text = program_output({"nvidia-smi", "topo", "-m"});
  if (!text) return {};
  try {
    return parse_topology(*text);
  } catch (const std::invalid_argument&) {
    return {};
  }
}

GpuSummary summarize_gpus(const GpuInfo& info) {
  GpuSummary summary;
  summary.count = static_cast<int>(info.devices.size());
  for (const GpuDevice& device : info.devices) {
    if (summary.name.find(device.name) == std::string::npos)
      summary.name += (summary.name.empty() ? "" : ", ") + device.name;
    if (summary.memory_bytes == 0 || device.memory_bytes < summary.memory_bytes) summary.memory_bytes = device.memory_bytes;
  }
  return summary;
}

GpuInfo visible_gpus(const GpuInfo& info, const std::optional<std::string>& visible) {
  if (!visible) return info;
  const auto indices = device_indices(*visible);
  if (!indices) return info;
  GpuInfo seen = info;
  seen.devices.clear();
  std::vector<int> kept;
  for (int i : *indices) {
    if (i < 0 || static_cast<size_t>(i) >= info.devices.size()) break;  // CUDA ignores entries from an invalid one on
    seen.devices.push_back(info.devices[static_cast<size_t>(i)]);
    kept.push_back(i);
  }
  seen.topology = info.topology.links.size() == info.devices.size() ? sub_topology(info.topology, kept) : GpuTopology{};
  return seen;
}

int visible_gpu_count() {
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  return static_cast<int>(
      visible_gpus(read_gpu_info(), visible ? std::optional<std::string>(visible) : std::nullopt).devices.size());
}

}  // namespace iddl::hardware
