// The links between a machine's GPUs, as `nvidia-smi topo -m` prints them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace iddl::hardware {

// How two GPUs reach each other, from the best to the worst path.
enum class LinkKind { Self, NvLink, Pix, Pxb, Phb, Node, Sys, Unknown };

// One cell of the interconnect matrix: its kind and, for NVLink, the bonded links ("NV2": 2).
struct Link {
  LinkKind kind = LinkKind::Unknown;
  int lanes = 0;
};

// The GPU-to-GPU part of the interconnect matrix: links[i][j] joins GPU i and GPU j.
struct GpuTopology {
  std::vector<std::vector<Link>> links;
};

// Reads one matrix cell: X, NV#, PIX, PXB, PHB, NODE, SYS (SOC, its old name); throws naming the cell otherwise.
Link parse_link(std::string_view cell);

// The cell text of a link: "X", "NV2", "PIX", ..., "?" when unknown.
std::string link_label(const Link& link);

// How good a link is for collective traffic: more NVLink lanes beat fewer, NVLink beats PCIe,
// then PIX > PXB > PHB > NODE > SYS; unknown links score lowest but above nothing.
int link_score(const Link& link);

// Parses the output of `nvidia-smi topo -m`: the GPU rows and GPU columns of its matrix (NIC rows and
// columns, CPU and NUMA affinity and the legend are skipped). Throws naming the bad line or cell.
GpuTopology parse_topology(std::string_view text);

// The matrix as one line, rows joined by "; ": "X NV1; NV1 X".
std::string topology_text(const GpuTopology& topology);

// The topology of the GPUs with the given indices only, in that order.
GpuTopology sub_topology(const GpuTopology& topology, const std::vector<int>& gpus);

}  // namespace iddl::hardware
