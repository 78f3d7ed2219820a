// Tests of the binpack and topology GPU policies on recorded topologies.
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "hardware/gpu_placement.hpp"
#include "hardware/slot_scheduler.hpp"

using namespace iddl::hardware;

namespace {

// A machine of the fixture's topology with the given GPUs in use.
MachineGpus machine(const std::string& fixture_name, const std::vector<int>& busy = {}) {
  MachineGpus m{parse_topology(fixture(fixture_name)), {}};
  m.busy.assign(m.topology.links.size(), false);
  for (int gpu : busy) m.busy[static_cast<size_t>(gpu)] = true;
  return m;
}

const std::string kDgx = "dgx1_nvlink_8gpu.txt";
const std::string kPcie = "pcie_2socket_4gpu.txt";

}  // namespace

TEST(hardware_gpu_placement, TopologyPicksTheNv2PairOverAnNv1Pair) {
  // GPUs 0, 1, 2 free: 0-1 and 0-2 are NV1, 1-2 is NV2.
  const std::vector<MachineGpus> machines{machine(kDgx, {3, 4, 5, 6, 7})};
  const auto topology = place_topology(machines, 2);
  ASSERT_TRUE(topology);
  EXPECT_EQ(topology->gpus, (std::vector<int>{1, 2}));
  const auto binpack = place_binpack(machines, 2);
  ASSERT_TRUE(binpack);
  EXPECT_EQ(binpack->gpus, (std::vector<int>{0, 1}));
}

TEST(hardware_gpu_placement, TopologyGivesAPairOnAnIdleDgxTheLowestNv2Pair) {
  const auto placement = place_topology({machine(kDgx)}, 2);
  ASSERT_TRUE(placement);
  EXPECT_EQ(placement->gpus, (std::vector<int>{0, 3}));
}

TEST(hardware_gpu_placement, TopologyGivesAFourGpuRunAFullyNvConnectedQuad) {
  const auto idle = place_topology({machine(kDgx)}, 4);
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->gpus, (std::vector<int>{0, 1, 2, 3}));
  // GPU 1 busy: no quad containing 0, 2, 3 is fully NV-connected, but 4-7 is.
  const auto other = place_topology({machine(kDgx, {1})}, 4);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->gpus, (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(place_binpack({machine(kDgx, {1})}, 4)->gpus, (std::vector<int>{0, 2, 3, 4}));
}

TEST(hardware_gpu_placement, TopologyKeepsAPairOnOneSocketOfThePcieMachine) {
  // GPU 1 busy: 0-2 crosses the sockets (SYS), 2-3 shares a switch (PIX).
  const auto placement = place_topology({machine(kPcie, {1})}, 2);
  ASSERT_TRUE(placement);
  EXPECT_EQ(placement->gpus, (std::vector<int>{2, 3}));
}

TEST(hardware_gpu_placement, TopologyChoosesTheMachineWithTheBetterLinks) {
  // A pair on the PCIe machine (PIX) loses to an NV2 pair on the DGX listed after it.
  const auto placement = place_topology({machine(kPcie), machine(kDgx)}, 2);
  ASSERT_TRUE(placement);
  EXPECT_EQ(placement->machine, 1);
  EXPECT_EQ(placement->gpus, (std::vector<int>{0, 3}));
}

TEST(hardware_gpu_placement, BinpackFillsMachineZeroBeforeMachineOne) {
  std::vector<MachineGpus> machines{machine(kPcie), machine(kPcie)};
  std::vector<std::pair<int, int>> taken;  // (machine, gpu)
  for (int run = 0; run < 4; ++run) {
    const auto placement = place_binpack(machines, 1);
    ASSERT_TRUE(placement);
    taken.emplace_back(placement->machine, placement->gpus.at(0));
    machines[static_cast<size_t>(placement->machine)].busy[static_cast<size_t>(placement->gpus[0])] = true;
  }
  EXPECT_EQ(taken, (std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {0, 2}, {0, 3}}));
  const auto next = place_binpack(machines, 2);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->machine, 1);
}

TEST(hardware_gpu_placement, BinpackPutsASmallRunOnTheFullestMachineThatFits) {
  // Machine 0 has 1 free GPU, machine 1 has 2, machine 2 is idle.
  const std::vector<MachineGpus> machines{machine(kPcie, {0, 1, 2}), machine(kPcie, {0, 1}), machine(kPcie)};
  EXPECT_EQ(place_binpack(machines, 1)->machine, 0);
  EXPECT_EQ(place_binpack(machines, 2)->machine, 1);
  EXPECT_EQ(place_binpack(machines, 3)->machine, 2);
}

TEST(hardware_gpu_placement, ARequestThatCannotFitWaits) {
  const std::vector<MachineGpus> machines{machine(kPcie, {0}), machine(kPcie, {3})};
  EXPECT_FALSE(place_binpack(machines, 4));
  EXPECT_FALSE(place_topology(machines, 4));
  EXPECT_FALSE(place_gpus(GpuPolicy::Topology, {}, 1));
}

TEST(hardware_gpu_placement, PoliciesByNameAndBadRequestsAreErrors) {
  EXPECT_EQ(parse_gpu_policy("binpack"), GpuPolicy::Binpack);
  EXPECT_EQ(gpu_policy_name(parse_gpu_policy("topology")), "topology");
  EXPECT_THROW(
      {
        try {
          parse_gpu_policy("spread");
        } catch (const std::invalid_argument& e) {
          EXPECT_NE(std::string(e.what()).find("'spread'"), std::string::npos);
          throw;
        }
      },
      std::invalid_argument);
  EXPECT_THROW(place_binpack({machine(kPcie)}, 0), std::invalid_argument);
}

TEST(hardware_gpu_placement, TheSlotSchedulerLendsGpusByThePolicy) {
  SlotScheduler topology(8, 4, GpuPolicy::Topology, parse_topology(fixture(kPcie)));
  SlotScheduler binpack(8, 4, GpuPolicy::Binpack, parse_topology(fixture(kPcie)));
  const auto one = topology.acquire({1, 1});
  ASSERT_TRUE(one);
  EXPECT_EQ(one->gpus, (std::vector<int>{0}));
  const auto pair = topology.acquire({2, 2});
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->gpus, (std::vector<int>{2, 3})) << "1 and 2 would cross the sockets";
  ASSERT_TRUE(binpack.acquire({1, 1}));
  EXPECT_EQ(binpack.acquire({2, 2})->gpus, (std::vector<int>{1, 2}));
  EXPECT_FALSE(topology.acquire({1, 2})) << "only GPU 1 is free";
}
