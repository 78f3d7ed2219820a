#pragma once
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/comm/device_timer.hpp"
#include "core/compress/activation_quantizer.hpp"
#include "core/models/model.hpp"
#include "core/pipeline/boundary_inbox.hpp"
#include "core/pipeline/schedule.hpp"
#include "core/pipeline/stage_split.hpp"
#include "core/train/checkpointable.hpp"
#include "core/train/step_engine.hpp"

namespace iddl::pipeline {

// How tensors cross a stage boundary: "none" (float32), "sortquant" (codes of `bits` with the bucket
// index of `split` bits above them: bits + split bits per value) or "uniform" (`bits` per value), the
// codes packed or each in an int8 / int16 (`container`, seed 004).
struct BoundaryCodec {
  std::string method = "none";
  int bits = 16;
  int split = 1;
  compress::CodeContainer container = compress::CodeContainer::Packed;
};

// What one rank's side of one stage boundary carried: the bytes it handed to send and received, the
// messages, the seconds from posting each send to its completion, and the seconds the rank waited for each
// message it received (its receive is posted ahead: a message that arrived meanwhile costs no wait).
struct BoundaryStats {
  int64_t bytes_sent = 0;
  int64_t dense_bytes_sent = 0;  // what bytes_sent would have been as float32 (no codec)
  int64_t bytes_received = 0;
  int64_t messages_sent = 0;
  int64_t messages_received = 0;
  double send_seconds = 0.0;
  double recv_seconds = 0.0;
  double codec_seconds = 0.0;  // encoding what it sent and decoding what it received (0 without a codec)
};

// What this rank's training steps measured, summed over the steps so far.
struct StageStats {
  int64_t steps = 0;
  double step_seconds = 0.0;     // wall time of train_step
  double compute_seconds = 0.0;  // its stages' forwards and backwards (and the loss): no waiting, no transfer
                                 // (on a GPU the kernels' time on the stream, not their launches)
  int64_t peak_live_micro_batches = 0;  // the most micro-batches whose activations it held at once
  int64_t peak_activation_bytes = 0;    // the most memory a step held above its start (train::ActivationMemory)
  double update_seconds = 0.0;  // after the last op: the sends' completion, replica averaging, the optimizer, the loss
};

// The settings of a pipeline trainer.
struct PipelineOptions {
  int64_t chunks = 4;                   // micro-batches per batch
  std::string schedule = "fill_drain";  // fill_drain (GPipe), 1f1b (PipeDream-flush) or zb_h1: schedule_ops()
  BoundaryCodec codec;                  // applied to activations and to their gradients
  torch::optim::SGDOptions sgd{0.01};   // this rank's optimizer over its own stages' parameters
  double receive_timeout_s = 300.0;     // a receive (or send) waiting longer throws; 0 waits forever
  std::string placement = "contiguous";  // which rank runs which group: group_ranks() (stage_split.hpp)
};

// Pipeline training of one staged network over the ranks of `stages` (docs/pipeline.md), optionally
// replicated: with `replicas` (the ranks that run the same stages in other pipelines) the gradients
// are averaged over them before each step. Every rank builds the whole network with the same seed
// and passes it here; group g of the split runs on stage rank group_ranks(placement)[g] (the last group
// also features, output and the loss) and a rank's optimizer holds only the parameters its groups use.
// One step cuts the batch into micro-batches, runs their forwards (activations to the next group's rank)
// and backwards (activation gradients to the previous group's rank; under zb_h1 the input gradient first,
// the weights' gradients later: docs/pipeline.md) in rank_ops() order with nonblocking
// sends and receives posted ahead (BoundaryInbox), and steps once: the gradient is that of the whole batch's loss (the model's loss(): its mean or
// sum over the batch), as without a pipeline.
// As a train::StepEngine, pipeline d of D trains shard d of D.
class PipelineTrainer : public train::StepEngine, public train::Checkpointable {
 public:
  // Throws std::invalid_argument when split has not the placement's number of groups or does not cover
  // the stages contiguously, chunks < 1, the placement, schedule or codec is unknown or out of range.
  PipelineTrainer(models::StagedModel model, const models::InputShape& shape, StageSplit split,
                  comm::Communicator& stages, PipelineOptions options, comm::Communicator* replicas = nullptr);

  // One training step on batch (x, y), called by every rank of the pipeline with the same batch
  // (stage 0 reads x, the last stage y) in min(chunks, rows) micro-batches; with replicas, every
  // replica calls it (a replica's batch may be empty) and the gradient is the samples-weighted mean of
  // the replicas' gradients. Returns the loss per sample over all their samples on every rank. Throws std::invalid_argument for an empty batch
  // without replicas, std::runtime_error when a receive or send times out.
  double train_step(const torch::Tensor& x, const torch::Tensor& y);
  // train_step(x, y), its loss per sample counted for all `global_samples` of the batch over the replicas.
  train::StepLoss train_step(const torch::Tensor& x, const torch::Tensor& y, int64_t global_samples) override;

  // Adds a test batch to `sums` on every rank of the pipeline (eval mode, no gradient, every rank
  // called with the same batch): forwarded in micro-batches, summed on the last stage and broadcast.
  // Its boundary traffic is bookkeeping, counted in evaluation_boundaries().
  void score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) override;
  // Forwards a batch through the pipeline in eval mode in micro-batches (at most `chunks`), the last
  // stage computing the predicted classes: what inference timing measures. Bookkeeping traffic.
  void infer(const torch::Tensor& x) override;

  // Part d of D: this pipeline among the replicas (the whole data without them).
  std::optional<train::Shard> shard() const override;
  // Sets the learning rate of this rank's optimizer.
  void set_learning_rate(double lr) override;
  // The training traffic of the pipeline and of the replicas since the last call.
  comm::CommStats take_stats() override;
  // None: train_step's loss is already per sample over every replica's samples.
  comm::Communicator* loss_ranks() override { return nullptr; }
  // The replicas, pipeline d scoring slice d of the test set.
  comm::Communicator* evaluation_ranks() override { return replicas_; }
  // The pipeline's stages.
  comm::Communicator* inference_ranks() override { return &stages_; }

  // The stage groups, in the network's order.
  const StageSplit& split() const { return split_; }
  // The stage rank that runs each group.
  const std::vector<int>& group_ranks() const { return group_ranks_; }
  // The parameters this rank trains (those its stages, and on the last stage the head, use).
  const std::vector<torch::Tensor>& owned_parameters() const { return owned_; }
  // The boundaries into this rank's groups (activations received, gradients sent): with stage r - 1
  // (contiguous); zero on a rank running only the first group.
  const BoundaryStats& previous_boundary() const { return previous_; }
  // The boundaries out of this rank's groups (activations sent, gradients received): with stage r + 1
  // (contiguous); zero on a rank running only the last group.
  const BoundaryStats& next_boundary() const { return next_; }
  // Both boundaries of this rank during score() and infer().
  const BoundaryStats& evaluation_boundaries() const { return evaluation_; }
  // This rank's step timing and memory.
  const StageStats& stage_stats() const { return stats_; }
  // Bytes one message of `numel` float values takes on the wire under the codec.
  int64_t wire_bytes(int64_t numel) const;

  // Writes this rank's state to a checkpoint: the parameters it trains, the network's buffers, its optimizer,
  // the split and its boundary and step measures so far (the codecs keep nothing across steps).
  void save(torch::serialize::OutputArchive& archive) const override;
  // Puts back what save() wrote; throws std::runtime_error when it was saved with another split.
  void load(torch::serialize::InputArchive& archive) override;

 private:
  bool first(int64_t group) const { return group == 0; }
  bool last(int64_t group) const { return group + 1 == static_cast<int64_t>(split_.size()); }
  // The stage rank that runs `group`.
  int rank_of(int64_t group) const { return group_ranks_.at(static_cast<size_t>(group)); }
  // Whether this rank runs the last group (and so computes the loss).
  bool holds_loss() const { return rank_of(static_cast<int64_t>(split_.size()) - 1) == stages_.rank(); }
  // Whether `tensor` is one of the parameters this rank trains.
  bool owns(const torch::Tensor& tensor) const;
  // The parameters this rank's groups (and head) use, found by autograd on one sample.
  std::vector<torch::Tensor> find_owned_parameters(const models::InputShape& shape);
  // The stages of `group` on x; for the last group also features and output (logits).
  torch::Tensor run_group(int64_t group, torch::Tensor x);
  // The micro-batches a batch of `rows` samples is cut into: min(chunks, rows).
  int64_t micro_batch_count(int64_t rows) const;
  // The messages `ops` receives, in order, micro-batch i having rows[i] samples (forwards only when
  // `forwards_only`): activations into groups after the first, gradients into groups before the last.
  std::vector<ExpectedMessage> expected_messages(const std::vector<RankOp>& ops, const std::vector<int64_t>& rows,
                                                 bool forwards_only) const;
  // Encodes `t` and starts sending it to stage `dest`, counting it in `stats` and as `traffic`.
  void send(const torch::Tensor& t, int dest, int tag, BoundaryStats& stats, comm::Traffic traffic);
  // The inbox's next message, decoded as a tensor of `shape` (throws after the timeout), counted in `stats`.
  torch::Tensor receive(BoundaryInbox& inbox, at::IntArrayRef shape, BoundaryStats& stats);
  // Waits for `receive` from stage `source`; throws std::runtime_error naming both after the timeout.
  void await(comm::Request& receive, int source, int tag) const;
  // Starts sending `values` from the last stage to every other stage (nothing on the others).
  std::vector<std::unique_ptr<comm::Request>> send_result(const torch::Tensor& values);
  // `values` as the last stage holds them, on every stage: the last stage waits for its `sends` (from
  // send_result), the others receive into `values` (with the timeout).
  torch::Tensor from_last_stage(torch::Tensor values, std::vector<std::unique_ptr<comm::Request>> sends);
  // Waits for every send still in flight (throws after the timeout).
  void finish_sends();
  // The device of this rank's stages (the CPU when it owns no parameters).
  torch::Device device() const;
  // Replaces the owned gradients (of this replica's `samples`) by the replicas' gradients weighted by their samples.
  void average_over_replicas(int64_t samples);
  // Eval-mode forward of micro-batches `xs` through the pipeline; the last stage's logits.
  std::vector<torch::Tensor> forward_eval(const std::vector<torch::Tensor>& xs);

  // A send in flight, what it carries and which boundary it counts in.
  struct PendingSend {
    std::unique_ptr<comm::Request> request;
    BoundaryStats* stats;
    comm::DeviceTimer posted;
    int dest;
  };

  models::StagedModel model_;
  StageSplit split_;
  comm::Communicator& stages_;
  comm::Communicator* replicas_;
  PipelineOptions options_;
  std::vector<int> group_ranks_;
  std::optional<compress::ActivationQuantizer> quantizer_;
  std::vector<std::vector<int64_t>> input_shapes_;  // one sample of each group's input
  std::vector<torch::Tensor> owned_;
  torch::optim::SGD optimizer_;
  std::vector<PendingSend> pending_;
  BoundaryStats previous_, next_, evaluation_;
  StageStats stats_;
};

// The split a PipelineTrainer's save() wrote to `archive`: a resumed run splits as it did (balance = "time" measures).
StageSplit checkpointed_split(torch::serialize::InputArchive& archive);

}  // namespace iddl::pipeline
