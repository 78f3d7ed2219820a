// Stage splits: every stage in exactly one contiguous non-empty group for the MLP, LeNet and ResNet-9,
// balanced splits minimal against brute force, explicit split points validated.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/pipeline/stage_split.hpp"

namespace iddl::pipeline {
namespace {

// Whether `split` has `groups` contiguous non-empty groups covering stages 0..stages-1 once, in order.
void expect_covers(const StageSplit& split, int64_t stages, size_t groups) {
  ASSERT_EQ(split.size(), groups);
  int64_t next = 0;
  for (const StageGroup& group : split) {
    EXPECT_EQ(group.first, next);
    EXPECT_LT(group.first, group.end);
    next = group.end;
  }
  EXPECT_EQ(next, stages);
}

// The least largest group cost over every contiguous split of `costs` into `groups` groups.
int64_t brute_force_best(const std::vector<int64_t>& costs, int64_t groups, int64_t first = 0) {
  const auto n = static_cast<int64_t>(costs.size());
  const auto cost = [&](int64_t a, int64_t b) {
    return std::accumulate(costs.begin() + a, costs.begin() + b, int64_t{0});
  };
  if (groups == 1) return cost(first, n);
  int64_t best = INT64_MAX;
  for (int64_t end = first + 1; end <= n - (groups - 1); ++end)
    best = std::min(best, std::max(cost(first, end), brute_force_best(costs, groups - 1, end)));
  return best;
}

std::string message_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no exception";
}

TEST(pipeline_split, CoversEveryStageOnceForMlpLenetResnet9) {
  const models::InputShape fashion{1, 28, 28, 10}, cifar{3, 32, 32, 10};
  struct Case {
    models::ModelOptions options;
    models::InputShape shape;
    int64_t stages;
  };
  for (const Case& c : {Case{{"mlp", {64, 32, 16}}, fashion, 3}, Case{{"lenet"}, fashion, 4},
                        Case{{"resnet9"}, cifar, 4}}) {
    SCOPED_TRACE(c.options.name);
    const models::StagedModel model = models::make_model(c.options, c.shape);
    ASSERT_EQ(model->stage_count(), c.stages);
    const std::vector<int64_t> costs = stage_flops(*model, c.shape);
    EXPECT_EQ(std::accumulate(costs.begin(), costs.end(), int64_t{0}), models::count_flops(*model, c.shape));
    for (int64_t groups = 1; groups <= c.stages; ++groups) {
      const StageSplit split = split_by_flops(*model, c.shape, groups);
      expect_covers(split, c.stages, static_cast<size_t>(groups));
      EXPECT_EQ(max_group_cost(split, costs), brute_force_best(costs, groups));
    }
  }
}

TEST(pipeline_split, BalancedSplitOfAHandExample) {
  // {1, 2, 3 | 4, 5}: 6 and 9; every other cut in two is worse (3 | 12, 10 | 5, 1 | 14).
  EXPECT_EQ(balanced_split({1, 2, 3, 4, 5}, 2), (StageSplit{{0, 3}, {3, 5}}));
  // {5 | 1, 1, 1 | 5}: 5 each.
  EXPECT_EQ(balanced_split({5, 1, 1, 1, 5}, 3), (StageSplit{{0, 1}, {1, 4}, {4, 5}}));
  EXPECT_EQ(balanced_split({7}, 1), (StageSplit{{0, 1}}));
  for (const std::vector<int64_t>& costs : {std::vector<int64_t>{9, 1, 1, 1, 1, 9, 2}, {3, 3, 3, 3, 3, 3},
                                            {0, 0, 10, 0, 1}, {50240, 2080, 698}})
    for (int64_t groups = 1; groups <= static_cast<int64_t>(costs.size()); ++groups) {
      const StageSplit split = balanced_split(costs, groups);
      expect_covers(split, static_cast<int64_t>(costs.size()), static_cast<size_t>(groups));
      EXPECT_EQ(max_group_cost(split, costs), brute_force_best(costs, groups));
    }
}

TEST(pipeline_split, BalancedSplitRejectsBadGroupCounts) {
  EXPECT_NE(message_of([] { balanced_split({1, 2}, 3); }).find("2 stages into 3"), std::string::npos);
  EXPECT_NE(message_of([] { balanced_split({1, 2}, 0); }).find("into 0"), std::string::npos);
  EXPECT_NE(message_of([] { balanced_split({1, -2}, 1); }).find("-2"), std::string::npos);
}

TEST(pipeline_split, PlacementsGiveEachGroupItsRank) {
  EXPECT_EQ(group_ranks("contiguous", 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(group_ranks("first_and_last", 2), (std::vector<int>{0, 1, 0}));
  EXPECT_THROW(group_ranks("first_and_last", 4), std::invalid_argument);
  EXPECT_THROW(group_ranks("first_and_last", 1), std::invalid_argument);
  EXPECT_THROW(group_ranks("client_server", 2), std::invalid_argument);
}

TEST(pipeline_split, ExplicitSplitPoints) {
  EXPECT_EQ(explicit_split(4, {}), (StageSplit{{0, 4}}));
  EXPECT_EQ(explicit_split(4, {1, 3}), (StageSplit{{0, 1}, {1, 3}, {3, 4}}));
  EXPECT_NE(message_of([] { explicit_split(4, {0}); }).find("split point 0"), std::string::npos);
  EXPECT_NE(message_of([] { explicit_split(4, {4}); }).find("split point 4"), std::string::npos);
  EXPECT_NE(message_of([] { explicit_split(4, {2, 2}); }).find("split point 2"), std::string::npos);
  EXPECT_NE(message_of([] { explicit_split(4, {3, 1}); }).find("split point 1"), std::string::npos);
  EXPECT_THROW(explicit_split(0, {}), std::invalid_argument);
}

}  // namespace
}  // namespace iddl::pipeline
