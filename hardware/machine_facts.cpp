#include "hardware/machine_facts.hpp"

#include <fmt/format.h>

#include <sstream>

#include "hardware/program_output.hpp"
#include "hardware/software_info.hpp"

namespace iddl::hardware {
namespace {

// "name  value" lines with the names padded to one width.
std::string aligned(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::string text;
  for (const auto& [name, value] : rows) text += fmt::format("{:<{}}  {}\n", name, width, value);
  return text;
}

std::string or_none(const std::string& text) { return text.empty() ? "none" : text; }

// The interconnect matrix with GPU names on both axes, or a line saying it is unknown.
std::string matrix_text(const GpuTopology& topology) {
  if (topology.links.empty()) return "GPU interconnect: unknown (nvidia-smi topo -m unavailable)\n";
  std::string text = "GPU interconnect (nvidia-smi topo -m):\n     ";
  for (size_t j = 0; j < topology.links.size(); ++j) text += fmt::format(" {:>5}", "GPU" + std::to_string(j));
  text += "\n";
  for (size_t i = 0; i < topology.links.size(); ++i) {
    text += fmt::format("{:<5}", "GPU" + std::to_string(i));
    for (const Link& link : topology.links[i]) text += fmt::format(" {:>5}", link_label(link));
    text += "\n";
  }
  return text;
}

}  // namespace

std::string gib_text(int64_t bytes) {
  return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
}

std::string parse_mpirun_version(std::string_view text) {
  const std::string line(text.substr(0, text.find('\n')));
  if (line.find_first_not_of(" \t\r") == std::string::npos) return "unknown";
  const size_t open = line.find('(');
  const size_t close = line.find(')', open);
  if (open == std::string::npos || close == std::string::npos) return line;
  const size_t version = line.find_first_not_of(' ', close + 1);
  return line.substr(open + 1, close - open - 1) +
         (version == std::string::npos ? "" : " " + line.substr(version, line.find_last_not_of(" \r") - version + 1));
}

MachineFacts read_machine_facts(const std::string& mpirun) {
  MachineFacts facts;
  facts.host = host_name();
  facts.cpu = read_cpu_info();
  facts.gpus = read_gpu_info();
  const auto mpi = program_output({mpirun, "--version"});
  facts.software = {parse_mpirun_version(mpi.value_or("")), nccl_version(), torch_version(), cuda_toolkit_version(),
                    compiler_version(), iddl_commit()};
  return facts;
}

nlohmann::json machine_facts_json(const MachineFacts& facts) {
  nlohmann::json gpus = nlohmann::json::array();
  for (const GpuDevice& device : facts.gpus.devices) gpus.push_back({{"name", device.name}, {"memory_bytes", device.memory_bytes}});
  nlohmann::json topology = nlohmann::json::array();
  for (const auto& row : facts.gpus.topology.links) {
    nlohmann::json cells = nlohmann::json::array();
    for (const Link& link : row) cells.push_back(link_label(link));
    topology.push_back(cells);
  }
  const SoftwareVersions& sw = facts.software;
  return {{"host", facts.host},
          {"cpu", {{"model", facts.cpu.model}, {"sockets", facts.cpu.sockets}, {"cores", facts.cpu.cores},
                   {"logical_cpus", facts.cpu.logical_cpus}, {"memory_bytes", facts.cpu.memory_bytes}}},
          {"gpus", gpus},
          {"gpu_driver", facts.gpus.driver_version},
          {"cuda_version", facts.gpus.cuda_version},
          {"gpu_source", facts.gpus.source},
          {"gpu_topology", topology},
          {"software", {{"mpi", sw.mpi}, {"nccl", sw.nccl}, {"torch", sw.torch}, {"cuda_toolkit", sw.cuda_toolkit},
                        {"compiler", sw.compiler}, {"iddl_commit", sw.iddl_commit}}}};
}

std::string format_machine_facts(const MachineFacts& facts) {
  const CpuInfo& cpu = facts.cpu;
  const GpuInfo& gpus = facts.gpus;
  const SoftwareVersions& sw = facts.software;
  std::vector<std::pair<std::string, std::string>> rows{
      {"host", facts.host},
      {"CPU", cpu.model},
      {"sockets", std::to_string(cpu.sockets)},
      {"cores", fmt::format("{} physical, {} logical", cpu.cores, cpu.logical_cpus)},
      {"memory", gib_text(cpu.memory_bytes)},
      {"GPUs", gpus.devices.empty() ? "none" : fmt::format("{} (from {})", gpus.devices.size(), gpus.source)}};
  for (size_t i = 0; i < gpus.devices.size(); ++i)
    rows.push_back({"GPU" + std::to_string(i), gpus.devices[i].name + ", " + gib_text(gpus.devices[i].memory_bytes)});
  if (!gpus.devices.empty()) {
    rows.push_back({"GPU driver", gpus.driver_version});
    rows.push_back({"CUDA (driver)", or_none(gpus.cuda_version)});
  }
  rows.insert(rows.end(), {{"CUDA toolkit", sw.cuda_toolkit},
                           {"NCCL", sw.nccl},
                           {"MPI", sw.mpi},
                           {"LibTorch", sw.torch},
                           {"compiler", sw.compiler},
                           {"IDDL commit", sw.iddl_commit}});
  return aligned(rows) + (gpus.devices.empty() ? "" : "\n" + matrix_text(gpus.topology));
}

}  // namespace iddl::hardware
