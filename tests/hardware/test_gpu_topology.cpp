// Tests of the `nvidia-smi topo -m` parser on recorded outputs.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "hardware/gpu_topology.hpp"

using namespace iddl::hardware;

TEST(hardware_gpu_topology, ParsesTheDgx1HybridCubeMeshSkippingNicsAndAffinity) {
  const GpuTopology topology = parse_topology(fixture("dgx1_nvlink_8gpu.txt"));
  ASSERT_EQ(topology.links.size(), 8U);
  for (const auto& row : topology.links) EXPECT_EQ(row.size(), 8U);
  EXPECT_EQ(link_label(topology.links[0][0]), "X");
  EXPECT_EQ(link_label(topology.links[0][1]), "NV1");
  EXPECT_EQ(link_label(topology.links[0][3]), "NV2");
  EXPECT_EQ(topology.links[0][3].kind, LinkKind::NvLink);
  EXPECT_EQ(topology.links[0][3].lanes, 2);
  EXPECT_EQ(link_label(topology.links[0][5]), "SYS");
  EXPECT_EQ(link_label(topology.links[7][6]), "NV2");
  for (size_t i = 0; i < 8; ++i)
    for (size_t j = 0; j < 8; ++j) EXPECT_EQ(link_label(topology.links[i][j]), link_label(topology.links[j][i]));
}

TEST(hardware_gpu_topology, ParsesTheTwoSocketPcieMachine) {
  const GpuTopology topology = parse_topology(fixture("pcie_2socket_4gpu.txt"));
  EXPECT_EQ(topology_text(topology), "X PIX SYS SYS; PIX X SYS SYS; SYS SYS X PIX; SYS SYS PIX X");
}

TEST(hardware_gpu_topology, IgnoresTerminalEscapesInTheHeader) {
  const GpuTopology topology =
      parse_topology("\x1b[4m\tGPU0\tGPU1\tCPU Affinity\x1b[0m\nGPU0\t X \tNV12\t0-7\nGPU1\tNV12\t X \t0-7\n");
  EXPECT_EQ(topology_text(topology), "X NV12; NV12 X");
}

TEST(hardware_gpu_topology, RanksLinksFromMoreNvLanesDownToSys) {
  const std::vector<std::string> best_first = {"NV4", "NV2", "NV1", "PIX", "PXB", "PHB", "NODE", "SYS"};
  for (size_t i = 1; i < best_first.size(); ++i)
    EXPECT_GT(link_score(parse_link(best_first[i - 1])), link_score(parse_link(best_first[i]))) << best_first[i];
  EXPECT_EQ(parse_link("SOC").kind, LinkKind::Sys);
  EXPECT_GT(link_score(parse_link("SYS")), link_score(Link{}));
}

TEST(hardware_gpu_topology, RejectsAnUnknownCellNamingIt) {
  try {
    parse_topology("\tGPU0\tGPU1\nGPU0\t X \tQPI\nGPU1\tQPI\t X \n");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'QPI'"), std::string::npos) << e.what();
  }
}

TEST(hardware_gpu_topology, SubTopologyKeepsTheChosenGpusInOrder) {
  const GpuTopology topology = parse_topology(fixture("dgx1_nvlink_8gpu.txt"));
  EXPECT_EQ(topology_text(sub_topology(topology, {3, 0, 5})), "X NV2 SYS; NV2 X SYS; SYS SYS X");
}
