#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/train/epoch_order.hpp"

using iddl::train::EpochOrder;

TEST(EpochOrder, RanksTakeDisjointShardsThatCoverTheData) {
  const int64_t samples = 103;
  const int world = 3;
  std::multiset<int64_t> seen;
  for (int rank = 0; rank < world; ++rank) {
    const EpochOrder order(samples, 8 * world, rank, world, 7, 1);
    EXPECT_EQ(order.batches(), 5);  // ceil(103 / 24)
    for (int64_t b = 0; b < order.batches(); ++b)
      for (int64_t i : order.local_indices(b)) seen.insert(i);
  }
  ASSERT_EQ(seen.size(), 103u);
  for (int64_t i = 0; i < samples; ++i) EXPECT_EQ(seen.count(i), 1u) << i;
}

TEST(EpochOrder, TwoRanksSplitTheGlobalBatchOfOneRankWithTwiceTheBatch) {
  const EpochOrder one(50, 10, 0, 1, 3, 2);
  const EpochOrder first(50, 10, 0, 2, 3, 2);
  const EpochOrder second(50, 10, 1, 2, 3, 2);
  ASSERT_EQ(one.batches(), first.batches());
  for (int64_t b = 0; b < one.batches(); ++b) {
    std::vector<int64_t> joined = first.local_indices(b);
    const auto rest = second.local_indices(b);
    joined.insert(joined.end(), rest.begin(), rest.end());
    EXPECT_EQ(joined, one.local_indices(b)) << "batch " << b;
    EXPECT_EQ(one.global_size(b), static_cast<int64_t>(joined.size()));
  }
}

TEST(EpochOrder, ShortLastBatchLeavesLaterRanksEmpty) {
  const EpochOrder last_rank(21, 20, 1, 2, 1, 1);
  EXPECT_EQ(last_rank.batches(), 2);
  EXPECT_EQ(last_rank.global_size(1), 1);
  EXPECT_TRUE(last_rank.local_indices(1).empty());
}

TEST(EpochOrder, EpochsAreShuffledDifferentlyButReproducibly) {
  const EpochOrder a(100, 100, 0, 1, 5, 1);
  const EpochOrder b(100, 100, 0, 1, 5, 1);
  const EpochOrder c(100, 100, 0, 1, 5, 2);
  EXPECT_EQ(a.local_indices(0), b.local_indices(0));
  EXPECT_NE(a.local_indices(0), c.local_indices(0));
}

TEST(EpochOrder, StepBatchIsPerRankOrGlobal) {
  EXPECT_EQ(iddl::train::step_batch(16, "rank", 3), 48);
  EXPECT_EQ(iddl::train::step_batch(16, "global", 3), 16);
  EXPECT_EQ(iddl::train::step_batch(16, "global", 1), 16);
}

TEST(EpochOrder, AGlobalBatchIsSplitExactlyTheFirstRanksTakingOneMore) {
  const int64_t samples = 200;
  const int world = 3;
  std::multiset<int64_t> seen;
  for (int rank = 0; rank < world; ++rank) {
    const EpochOrder order(samples, 64, rank, world, 5, 1);  // 64 = 22 + 21 + 21
    EXPECT_EQ(order.batches(), 4);                            // ceil(200 / 64)
    for (int64_t b = 0; b < 3; ++b) {
      EXPECT_EQ(order.global_size(b), 64);
      EXPECT_EQ(order.local_indices(b).size(), rank == 0 ? 22u : 21u) << "rank " << rank << " batch " << b;
    }
    EXPECT_EQ(order.global_size(3), 8);
    EXPECT_EQ(order.local_indices(3).size(), rank == 0 ? 8u : 0u) << "the short last batch goes to the first ranks";
    for (int64_t b = 0; b < order.batches(); ++b)
      for (int64_t i : order.local_indices(b)) seen.insert(i);
  }
  ASSERT_EQ(seen.size(), 200u);
  for (int64_t i = 0; i < samples; ++i) EXPECT_EQ(seen.count(i), 1u) << i;
}

TEST(EpochOrder, RanksOfAGlobalBatchJoinIntoOneRankWithTheSameBatch) {
  for (const int64_t batch : {int64_t{9}, int64_t{10}}) {
    const EpochOrder one(47, batch, 0, 1, 3, 2);
    const EpochOrder first(47, batch, 0, 2, 3, 2);
    const EpochOrder second(47, batch, 1, 2, 3, 2);
    ASSERT_EQ(one.batches(), first.batches());
    for (int64_t b = 0; b < one.batches(); ++b) {
      std::vector<int64_t> joined = first.local_indices(b);
      const auto rest = second.local_indices(b);
      EXPECT_GE(joined.size(), rest.size());
      joined.insert(joined.end(), rest.begin(), rest.end());
      EXPECT_EQ(joined, one.local_indices(b)) << "batch " << batch << " step " << b;
      EXPECT_EQ(first.global_size(b), static_cast<int64_t>(joined.size()));
    }
  }
}
