#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/compress/activation_quantizer.hpp"
#include "core/models/model.hpp"
#include "core/pipeline/stage_split.hpp"

namespace iddl::pipeline {

// How tensors cross a stage boundary: "none" (float32), "sortquant" (bits, split) or "uniform" (bits).
struct BoundaryCodec {
  std::string method = "none";
  int bits = 16;
  int split = 1;
};

// What one rank's side of one stage boundary carried: the bytes it handed to send and received, the
// messages, and the seconds spent in send and in receive (waiting included).
struct BoundaryStats {
  int64_t bytes_sent = 0;
  int64_t bytes_received = 0;
  int64_t messages_sent = 0;
  int64_t messages_received = 0;
  double send_seconds = 0.0;
  double recv_seconds = 0.0;
};

// The settings of a pipeline trainer.
struct PipelineOptions {
  int64_t chunks = 4;                       // micro-batches per batch
  BoundaryCodec codec;                      // applied to activations and to their gradients
  torch::optim::SGDOptions sgd{0.01};       // this rank's optimizer over its own stages' parameters
  double receive_timeout_s = 300.0;         // a receive waiting longer throws; 0 waits forever
};

// GPipe fill-drain training of one staged network over the ranks (docs/pipeline.md). Every rank
// builds the whole network with the same seed and passes it here; rank r runs only the stages of
// split[r] (the last rank also features, output and the loss) and its optimizer holds only the
// parameters those run, so the other stages' copies are never run nor updated. One step cuts the batch
// into micro-batches, forwards all of them (activations to rank r + 1), then backwards them in
// reverse order (activation gradients to rank r - 1) and steps once: the gradient is the whole
// batch's mean, as without a pipeline.
class PipelineTrainer {
 public:
  // Throws std::invalid_argument when split has not one group per rank or does not cover the stages
  // contiguously, chunks < 1 or the codec is unknown or out of range.
  PipelineTrainer(models::StagedModel model, const models::InputShape& shape, StageSplit split,
                  comm::Communicator& comm, PipelineOptions options);

  // One training step on batch (x, y), called by every rank with the same batch (rank 0 reads x, the
  // last rank y); returns the batch's mean loss on every rank. Throws std::invalid_argument when the
  // batch has fewer samples than chunks, std::runtime_error when a receive times out.
  double train_step(const torch::Tensor& x, const torch::Tensor& y);

  // Adds a test batch to `sums` on every rank (eval mode, no gradient, every rank called with the same
  // batch): forwarded through the pipeline in micro-batches, summed on the last rank and broadcast. Its
  // boundary traffic is bookkeeping, counted in evaluation_boundaries().
  void score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums);

  // The stages this rank runs.
  const StageGroup& group() const { return split_.at(static_cast<size_t>(comm_.rank())); }
  // The parameters this rank trains (those its stages, and on the last rank the head, use).
  const std::vector<torch::Tensor>& owned_parameters() const { return owned_; }
  // This rank's optimizer (e.g. to set the learning rate).
  torch::optim::SGD& optimizer() { return optimizer_; }
  // The boundary with rank r - 1 (gradients sent, activations received); zero on rank 0.
  const BoundaryStats& previous_boundary() const { return previous_; }
  // The boundary with rank r + 1 (activations sent, gradients received); zero on the last rank.
  const BoundaryStats& next_boundary() const { return next_; }
  // Both boundaries of this rank during score().
  const BoundaryStats& evaluation_boundaries() const { return evaluation_; }
  // Bytes one message of `numel` float values takes on the wire under the codec.
  int64_t wire_bytes(int64_t numel) const;

 private:
  bool first() const { return comm_.rank() == 0; }
  bool last() const { return comm_.rank() + 1 == comm_.size(); }
  // The parameters the owned stages (and head) use, found by autograd on one sample.
  std::vector<torch::Tensor> find_owned_parameters(const models::InputShape& shape);
  // This rank's stages on x; on the last rank also features and output (logits).
  torch::Tensor run_local(torch::Tensor x);
  // The micro-batches of a batch of x (rows) and y; throws std::invalid_argument when rows < chunks.
  std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> micro_batches(const torch::Tensor& x,
                                                                                const torch::Tensor& y) const;
  // Encodes and sends `t` to `dest`, counting it in `stats` and as `traffic`.
  void send(const torch::Tensor& t, int dest, int tag, BoundaryStats& stats, comm::Traffic traffic);
  // Receives a tensor of `shape` from `source`, counting it in `stats` and as `traffic`.
  torch::Tensor receive(at::IntArrayRef shape, int source, int tag, BoundaryStats& stats, comm::Traffic traffic);
  // Waits until a message from `source` with `tag` is the next to arrive, or throws after the timeout.
  void await(int source, int tag) const;

  models::StagedModel model_;
  StageSplit split_;
  comm::Communicator& comm_;
  PipelineOptions options_;
  std::optional<compress::ActivationQuantizer> quantizer_;
  std::vector<int64_t> input_shape_;     // one sample of this rank's input (without the batch dimension)
  std::vector<torch::Tensor> owned_;
  torch::optim::SGD optimizer_;
  BoundaryStats previous_, next_, evaluation_;
};

}  // namespace iddl::pipeline
