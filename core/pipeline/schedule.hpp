#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace iddl::pipeline {

// One step of a stage's work on one micro-batch: its forward or its backward.
struct PipelineOp {
  enum class Kind { Forward, Backward };
  Kind kind = Kind::Forward;
  int64_t micro_batch = 0;
  bool operator==(const PipelineOp& other) const { return kind == other.kind && micro_batch == other.micro_batch; }
};

// The order in which stage `stage` of `stages` runs the forwards and backwards of `chunks`
// micro-batches in one training step. "fill_drain" (GPipe): every forward, then every backward in
// reverse order. "1f1b" (PipeDream-flush): min(stages - 1 - stage, chunks) forwards, then one forward
// and one backward in turn, then the backwards left, oldest first. Throws std::invalid_argument for
// another schedule name or a stage outside 0..stages-1, chunks < 1.
std::vector<PipelineOp> schedule_ops(const std::string& schedule, int64_t stage, int64_t stages, int64_t chunks);

// The largest number of micro-batches whose activations `ops` holds at once (forwarded, not yet
// backwarded).
int64_t peak_live_micro_batches(const std::vector<PipelineOp>& ops);

// GPipe's ideal efficiency of `stages` equal stages and `chunks` micro-batches: M / (M + K - 1).
double ideal_efficiency(int64_t stages, int64_t chunks);

}  // namespace iddl::pipeline
