// Everything IDDL knows about the machine a run executes on: CPU, memory, GPUs and their links,
// and the software versions; shown by `iddl-sweep hardware` (docs/hardware.md).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hardware/cpu_info.hpp"
#include "hardware/gpu_info.hpp"

namespace iddl::hardware {

// The libraries and tools runs are built with or launched by.
struct SoftwareVersions {
  std::string mpi;       // e.g. "Open MPI 4.1.4", "unknown" when mpirun cannot say
  std::string nccl;      // "none" when built without NCCL
  std::string torch;
  std::string cuda_toolkit;
  std::string compiler;
  std::string iddl_commit;
};

// The machine facts.
struct MachineFacts {
  std::string host;
  CpuInfo cpu;
  GpuInfo gpus;
  SoftwareVersions software;
};

// The MPI version in the first line of `mpirun --version` ("mpirun (Open MPI) 4.1.4": "Open MPI
// 4.1.4"), the whole first line when it has no such parenthesis; "unknown" for no text.
std::string parse_mpirun_version(std::string_view text);

// This machine's facts; `mpirun` is the executable asked for the MPI version.
MachineFacts read_machine_facts(const std::string& mpirun);

// The facts as a JSON object (memory in bytes, the topology as a matrix of link labels).
nlohmann::json machine_facts_json(const MachineFacts& facts);

// The facts as readable text: a fact-per-line table, one line per GPU and the interconnect matrix.
std::string format_machine_facts(const MachineFacts& facts);

// Bytes as GiB text with one decimal: "15.8 GiB".
std::string gib_text(int64_t bytes);

}  // namespace iddl::hardware
