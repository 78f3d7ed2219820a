#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace iddl::pipeline {

// One step of a stage's work on one micro-batch: its forward, its backward, or (zb_h1) one of the two
// halves of its backward: the gradient of its input (sent upstream) and, later, of its weights.
struct PipelineOp {
  enum class Kind { Forward, Backward, BackwardInput, BackwardWeight };
  Kind kind = Kind::Forward;
  int64_t micro_batch = 0;
  bool operator==(const PipelineOp& other) const { return kind == other.kind && micro_batch == other.micro_batch; }
};

// The order in which stage `stage` of `stages` runs the forwards and backwards of `chunks`
// micro-batches in one training step. "fill_drain" (GPipe): every forward, then every backward in
// reverse order. "1f1b" (PipeDream-flush): min(stages - 1 - stage, chunks) forwards, then one forward
// and one backward in turn, then the backwards left, oldest first. "zb_h1" (zero bubble, Qi et al.
// 2024, ZB-H1): 1F1B's order with each backward split into BackwardInput and BackwardWeight, stage s
// deferring the weight gradients of s micro-batches (each BackwardInput is followed by the oldest
// BackwardWeight once more than s are pending; the deferred ones end the step, oldest first).
// Throws std::invalid_argument for another schedule name or a stage outside 0..stages-1, chunks < 1.
std::vector<PipelineOp> schedule_ops(const std::string& schedule, int64_t stage, int64_t stages, int64_t chunks);

// One step of a rank's work: `op` on group `group` of the split.
struct RankOp {
  PipelineOp op;
  int64_t group = 0;
  bool operator==(const RankOp& other) const { return op == other.op && group == other.group; }
};

// The order in which rank `rank` runs its groups' work in one step, the groups placed on ranks by
// `group_ranks` (stage_split.hpp). A rank with one group runs schedule_ops(schedule, rank, ranks, chunks)
// on it, the groups being one per rank. A rank with several groups (first_and_last) runs fill-drain
// over them, as seed 004's client does: every forward of its groups in group order, then every backward
// in reverse group order, micro-batches last first. Throws std::invalid_argument for a rank with no group,
// and for several groups on a rank with another schedule than fill_drain.
std::vector<RankOp> rank_ops(const std::string& schedule, const std::vector<int>& group_ranks, int rank,
                             int64_t chunks);

// The largest number of micro-batches whose activations `ops` holds at once (forwarded, their backward
// or BackwardWeight not yet run).
int64_t peak_live_micro_batches(const std::vector<PipelineOp>& ops);

// GPipe's ideal efficiency of `stages` equal stages and `chunks` micro-batches: M / (M + K - 1).
double ideal_efficiency(int64_t stages, int64_t chunks);

// The ideal efficiency of first_and_last fill-drain with three equal groups and `chunks` micro-batches:
// 3M / (2 max(2M, M + 2)); from M = 2 on, rank 0 is never idle and rank 1 idles half the step (3/4).
double first_and_last_ideal_efficiency(int64_t chunks);

}  // namespace iddl::pipeline
