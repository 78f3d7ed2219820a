// Facts about the machine's CPUs and memory.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace iddl::hardware {

// The CPU model, its topology, the memory size and the CPU feature flags.
struct CpuInfo {
  std::string model;
  int sockets = 0;
  int cores = 0;  // physical cores over all sockets
  int logical_cpus = 0;
  int64_t memory_bytes = 0;
  std::set<std::string> flags;
};

// Parses the text of /proc/cpuinfo: model, sockets, cores, logical CPUs and the first CPU's
// flags (memory_bytes stays 0).
CpuInfo parse_cpuinfo(std::string_view text);

// This machine's CPU facts from /proc/cpuinfo, with the online CPUs and memory from sysconf.
CpuInfo read_cpu_info();

// This machine's host name.
std::string host_name();

}  // namespace iddl::hardware
