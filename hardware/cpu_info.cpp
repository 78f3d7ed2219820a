#include "hardware/cpu_info.hpp"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace iddl::hardware {
namespace {

// The text with spaces and tabs removed from both ends.
std::string_view trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The space-separated words of a flags line.
std::set<std::string> split_words(std::string_view text) {
  std::set<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string word; in >> word;) words.insert(word);
  return words;
}

// The topology seen while reading the processor entries.
struct Topology {
  int processors = 0;
  std::set<std::string> sockets;
  std::set<std::pair<std::string, std::string>> cores;  // (physical id, core id)
  std::string current_socket;
  int cores_per_socket = 0;  // "cpu cores", for kernels that give no core ids
};

// Records one "key : value" line of /proc/cpuinfo.
void take_field(std::string_view key, std::string_view value, CpuInfo& info, Topology& topo) {
  if (key == "processor") {
    ++topo.processors;
    topo.current_socket = "0";
  } else if (key == "model name" && info.model.empty()) {
    info.model = value;
  } else if ((key == "flags" || key == "Features") && info.flags.empty()) {
    info.flags = split_words(value);
  } else if (key == "physical id") {
    topo.current_socket = value;
    topo.sockets.insert(topo.current_socket);
  } else if (key == "core id") {
    topo.cores.emplace(topo.current_socket, value);
  } else if (key == "cpu cores") {
    topo.cores_per_socket = std::stoi(std::string(value));
  }
}

}  // namespace

CpuInfo parse_cpuinfo(std::string_view text) {
  CpuInfo info;
  Topology topo;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    take_field(trim(line.substr(0, colon)), trim(line.substr(colon + 1)), info, topo);
  }
  info.logical_cpus = topo.processors;
  info.sockets = std::max<int>(1, static_cast<int>(topo.sockets.size()));
  if (!topo.cores.empty()) {
    info.cores = static_cast<int>(topo.cores.size());
  } else if (topo.cores_per_socket > 0) {
    info.cores = topo.cores_per_socket * info.sockets;
  } else {
    info.cores = topo.processors;
  }
  return info;
}

CpuInfo read_cpu_info() {
  std::ifstream in("/proc/cpuinfo");
  if (!in) throw std::runtime_error("/proc/cpuinfo: cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  CpuInfo info = parse_cpuinfo(text.str());
  info.logical_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  info.memory_bytes = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  return info;
}

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) != 0) throw std::runtime_error("gethostname failed");
  return name;
}

}  // namespace iddl::hardware
