#include "core/pipeline/schedule.hpp"

#include <algorithm>
#include <stdexcept>

namespace iddl::pipeline {
namespace {

PipelineOp forward(int64_t i) { return {PipelineOp::Kind::Forward, i}; }
PipelineOp backward(int64_t i) { return {PipelineOp::Kind::Backward, i}; }
PipelineOp backward_input(int64_t i) { return {PipelineOp::Kind::BackwardInput, i}; }
PipelineOp backward_weight(int64_t i) { return {PipelineOp::Kind::BackwardWeight, i}; }

}  // namespace

std::vector<PipelineOp> schedule_ops(const std::string& schedule, int64_t stage, int64_t stages, int64_t chunks) {
  if (stages < 1 || stage < 0 || stage >= stages)
    throw std::invalid_argument("pipeline: stage " + std::to_string(stage) + " of " + std::to_string(stages) +
                                " stages");
  if (chunks < 1) throw std::invalid_argument("pipeline: chunks must be >= 1, got " + std::to_string(chunks));
  std::vector<PipelineOp> ops;
  if (schedule == "fill_drain") {
    for (int64_t i = 0; i < chunks; ++i) ops.push_back(forward(i));
    for (int64_t i = chunks; i-- > 0;) ops.push_back(backward(i));
    return ops;
  }
  if (schedule == "1f1b") {
    const int64_t warmup = std::min(stages - 1 - stage, chunks);
    for (int64_t i = 0; i < warmup; ++i) ops.push_back(forward(i));
    for (int64_t i = 0; i + warmup < chunks; ++i) {
      ops.push_back(forward(i + warmup));
      ops.push_back(backward(i));
    }
    for (int64_t i = chunks - warmup; i < chunks; ++i) ops.push_back(backward(i));
    return ops;
  }
  if (schedule == "zb_h1") {
    const int64_t warmup = std::min(stages - 1 - stage, chunks);
    int64_t next_input = 0, next_weight = 0;
    const auto backward_then_deferred_weight = [&] {
      ops.push_back(backward_input(next_input++));
      if (next_input - next_weight > stage) ops.push_back(backward_weight(next_weight++));
    };
    for (int64_t i = 0; i < warmup; ++i) ops.push_back(forward(i));
    for (int64_t i = warmup; i < chunks; ++i) {
      ops.push_back(forward(i));
      backward_then_deferred_weight();
    }
    while (next_input < chunks) backward_then_deferred_weight();
    while (next_weight < chunks) ops.push_back(backward_weight(next_weight++));
    return ops;
  }
  throw std::invalid_argument("pipeline: unknown schedule '" + schedule + "' (expected fill_drain, 1f1b or zb_h1)");
}

std::vector<RankOp> rank_ops(const std::string& schedule, const std::vector<int>& group_ranks, int rank,
                             int64_t chunks) {
  std::vector<int64_t> mine;
  for (size_t g = 0; g < group_ranks.size(); ++g)
    if (group_ranks[g] == rank) mine.push_back(static_cast<int64_t>(g));
  if (mine.empty()) throw std::invalid_argument("pipeline: rank " + std::to_string(rank) + " runs no group");
  std::vector<RankOp> ops;
  if (mine.size() == 1) {
    const auto groups = static_cast<int64_t>(group_ranks.size());
    for (const PipelineOp& op : schedule_ops(schedule, mine.front(), groups, chunks)) ops.push_back({op, mine.front()});
    return ops;
  }
  if (schedule != "fill_drain")
    throw std::invalid_argument("pipeline: schedule '" + schedule + "' needs one group per rank; a rank with " +
                                std::to_string(mine.size()) + " groups (placement first_and_last) runs fill_drain");
  schedule_ops(schedule, 0, 1, chunks);  // checks chunks
  for (const int64_t g : mine)
    for (int64_t i = 0; i < chunks; ++i) ops.push_back({forward(i), g});
  for (auto g = mine.rbegin(); g != mine.rend(); ++g)
    for (int64_t i = chunks; i-- > 0;) ops.push_back({backward(i), *g});
  return ops;
}

int64_t peak_live_micro_batches(const std::vector<PipelineOp>& ops) {
  int64_t live = 0, peak = 0;
  for (const PipelineOp& op : ops) {
    if (op.kind == PipelineOp::Kind::Forward) ++live;
    if (op.kind == PipelineOp::Kind::Backward || op.kind == PipelineOp::Kind::BackwardWeight) --live;
    peak = std::max(peak, live);
  }
  return peak;
}

double ideal_efficiency(int64_t stages, int64_t chunks) {
  return static_cast<double>(chunks) / static_cast<double>(chunks + stages - 1);
}

double first_and_last_ideal_efficiency(int64_t chunks) {
  return 3.0 * static_cast<double>(chunks) / (2.0 * static_cast<double>(std::max(2 * chunks, chunks + 2)));
}

}  // namespace iddl::pipeline
