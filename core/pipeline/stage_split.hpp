#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/models/model.hpp"

namespace iddl::pipeline {

// The stages [first, end) of a staged network that one pipeline rank runs; the last group also runs
// features and output.
struct StageGroup {
  int64_t first = 0;
  int64_t end = 0;
  bool operator==(const StageGroup& other) const { return first == other.first && end == other.end; }
};

// The groups in the network's order (the order micro-batches pass them): contiguous, non-empty,
// covering every stage once; group_ranks() says which rank runs each.
using StageSplit = std::vector<StageGroup>;

// The stage rank that runs each group of a pipeline of `ranks` ranks, in group order, under `placement`:
// "contiguous", `ranks` groups, group g on rank g; "first_and_last" (seed 004's client/server), three
// groups on two ranks, rank 0 the first and the last, rank 1 the middle. Throws std::invalid_argument
// for another placement, or first_and_last on ranks != 2.
std::vector<int> group_ranks(const std::string& placement, int ranks);

// FLOPs of one eval-mode sample through each stage of `model`; the head (features + output) is counted
// in the last stage, since the last group runs it. Keeps the model's train/eval mode.
std::vector<int64_t> stage_flops(models::StagedModelImpl& model, const models::InputShape& shape);

// The split of stages costing `costs` into `groups` contiguous non-empty groups whose largest total
// cost is minimal (ties: the earliest boundaries); throws std::invalid_argument when groups is not
// in 1..costs.size() or a cost is negative.
StageSplit balanced_split(const std::vector<int64_t>& costs, int64_t groups);

// The split of `stage_count` stages whose groups 1..K-1 start at `starts` (K = starts.size() + 1);
// throws std::invalid_argument naming a start outside 1..stage_count-1 or not above the previous one.
StageSplit explicit_split(int64_t stage_count, const std::vector<int64_t>& starts);

// Microseconds of one training forward and backward of a batch of `rows` random samples through
// each stage of `model` on its device (the head and loss counted in the last stage; a GPU's kernels
// timed on its stream), the median of `repeats`
// timings after one warm-up (repeats >= 1, else std::invalid_argument). Keeps the model's mode and
// buffers; leaves no gradients behind.
std::vector<int64_t> stage_microseconds(models::StagedModelImpl& model, const models::InputShape& shape, int64_t rows,
                                        int repeats);

// balanced_split of stage_flops(model, shape) into `groups` groups.
StageSplit split_by_flops(models::StagedModelImpl& model, const models::InputShape& shape, int64_t groups);

// The largest total cost of a group of `split` (the pipeline's slowest stage under `costs`).
int64_t max_group_cost(const StageSplit& split, const std::vector<int64_t>& costs);

}  // namespace iddl::pipeline
