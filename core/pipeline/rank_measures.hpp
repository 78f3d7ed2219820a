#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/pipeline/pipeline_trainer.hpp"
#include "core/pipeline/stage_split.hpp"

namespace iddl::pipeline {

// What one rank of a pipeline run measured over its training steps, as its PipelineTrainer counted it.
struct RankMeasures {
  StageStats stage;
  BoundaryStats previous;  // with stage r - 1: gradients sent, activations received
  BoundaryStats next;      // with stage r + 1: activations sent, gradients received

  // Every measure as one float64 tensor: what the ranks allgather.
  torch::Tensor to_tensor() const;
  // The measures to_tensor() gave; throws std::invalid_argument for a tensor of another length.
  static RankMeasures from_tensor(const torch::Tensor& values);
};

// This rank's measures so far.
RankMeasures rank_measures(const PipelineTrainer& trainer);

// Every rank's measures in rank order, on every rank of `world` (bookkeeping traffic).
std::vector<RankMeasures> gather_measures(const RankMeasures& own, comm::Communicator& world);

// The run metrics of docs/pipeline.md from every world rank's measures, group g of `split` running on
// stage rank group_ranks[g] (world rank r is stage rank r % K of pipeline r / K, K the stage ranks):
// pipeline_efficiency against the ideal for `chunks` micro-batches, boundary_compression_ratio,
// pipeline_stages (K) and pipeline_replicas; per group g stage_first.g; per stage rank k of pipeline 0
// peak_*.k and its seconds (step, compute, codec, receive, update); per boundary b (into group b) boundary.b.*
// (bytes, receive seconds and bandwidth each way, from the ranks on either side).
std::map<std::string, double> pipeline_metrics(const std::vector<RankMeasures>& ranks, const StageSplit& split,
                                               const std::vector<int>& group_ranks, int64_t chunks);

}  // namespace iddl::pipeline
