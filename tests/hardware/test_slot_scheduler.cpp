#include <gtest/gtest.h>

#include "hardware/slot_scheduler.hpp"
#include "hardware/software_info.hpp"
#include "hardware/thread_budget.hpp"

using iddl::hardware::SlotScheduler;

TEST(SlotScheduler, PacksRunsOnDisjointCoresUntilFull) {
  SlotScheduler slots(4, 0);
  const auto a = slots.acquire({2, 0});
  const auto b = slots.acquire({1, 0});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->cores, (std::vector<int>{0, 1}));
  EXPECT_EQ(b->cores, (std::vector<int>{2}));
  EXPECT_FALSE(slots.acquire({2, 0})) << "only core 3 is free";
  const auto c = slots.acquire({1, 0});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cores, (std::vector<int>{3}));
  slots.release(*a);
  const auto d = slots.acquire({2, 0});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->cores, (std::vector<int>{0, 1}));
}

TEST(SlotScheduler, ARunLargerThanTheMachineWaitsForItToBeIdleThenGetsAllOfIt) {
  SlotScheduler slots(2, 0);
  const auto small = slots.acquire({1, 0});
  ASSERT_TRUE(small);
  EXPECT_FALSE(slots.acquire({4, 0}));
  slots.release(*small);
  EXPECT_TRUE(slots.idle());
  const auto big = slots.acquire({4, 0});
  ASSERT_TRUE(big);
  EXPECT_EQ(big->cores, (std::vector<int>{0, 1}));
  EXPECT_FALSE(slots.acquire({1, 0}));
}

TEST(SlotScheduler, GivesEachRunItsOwnGpus) {
  SlotScheduler slots(8, 2);
  const auto a = slots.acquire({2, 1});
  const auto b = slots.acquire({2, 1});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->gpus, (std::vector<int>{0}));
  EXPECT_EQ(b->gpus, (std::vector<int>{1}));
  EXPECT_FALSE(slots.acquire({1, 1})) << "cores are free but no GPU is";
  EXPECT_TRUE(slots.acquire({1, 0}));
}

TEST(ThreadBudget, SplitsCoresOverRanksUnlessTheRunSaysOtherwise) {
  EXPECT_EQ(iddl::hardware::threads_per_rank(0, 2, 8), 4);
  EXPECT_EQ(iddl::hardware::threads_per_rank(0, 4, 2), 1);
  EXPECT_EQ(iddl::hardware::threads_per_rank(3, 4, 2), 3);
  EXPECT_TRUE(iddl::hardware::needs_unbound_ranks(2));
  EXPECT_FALSE(iddl::hardware::needs_unbound_ranks(1));
}

TEST(SoftwareInfo, NamesTheCommitAndTheCompiler) {
  EXPECT_FALSE(iddl::hardware::iddl_commit().empty());
  EXPECT_NE(iddl::hardware::compiler_version().find_first_of("0123456789"), std::string::npos);
}
