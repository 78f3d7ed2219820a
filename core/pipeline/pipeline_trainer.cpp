#include "core/pipeline/pipeline_trainer.hpp"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include "core/train/activation_memory.hpp"
#include "core/models/layers.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/train/lr_schedule.hpp"

namespace iddl::pipeline {
namespace {

constexpr int kActivationTag = 7001;
constexpr int kGradientTag = 7002;
constexpr int kResultTag = 7003;

// The quantizer the codec names, or none for "none"; throws std::invalid_argument for other methods.
std::optional<compress::ActivationQuantizer> make_quantizer(const BoundaryCodec& codec) {
  if (codec.method == "none") return std::nullopt;
  if (codec.method == "sortquant") {
    if (codec.split < 1)
      throw std::invalid_argument("pipeline: sortquant needs split >= 1 (2^split buckets), got " +
                                  std::to_string(codec.split));
    return compress::ActivationQuantizer(codec.bits, codec.split, codec.container);
  }
  if (codec.method == "uniform") return compress::uniform(codec.bits, codec.container);
  throw std::invalid_argument("pipeline: unknown boundary codec '" + codec.method +
                              "' (expected none, sortquant or uniform)");
}

// `split` when it has as many groups as `placement` places on `ranks` ranks and its groups cover stages
// 0..stages-1 contiguously, each non-empty; throws std::invalid_argument otherwise.
StageSplit checked(StageSplit split, const std::string& placement, int ranks, int64_t stages) {
  const size_t groups = group_ranks(placement, ranks).size();
  if (split.size() != groups)
    throw std::invalid_argument("pipeline: a split of " + std::to_string(split.size()) + " groups for " +
                                std::to_string(ranks) + " ranks (placement " + placement + ": " +
                                std::to_string(groups) + " groups)");
  int64_t next = 0;
  for (const StageGroup& group : split) {
    if (group.first != next || group.end <= group.first)
      throw std::invalid_argument("pipeline: group [" + std::to_string(group.first) + ", " +
                                  std::to_string(group.end) + ") does not continue at stage " + std::to_string(next));
    next = group.end;
  }
  if (next != stages)
    throw std::invalid_argument("pipeline: the split ends at stage " + std::to_string(next) + " of " +
                                std::to_string(stages));
  return split;
}

// `options` when chunks >= 1 and the placement on `ranks` ranks and the schedule are known and fit
// together; throws std::invalid_argument otherwise.
PipelineOptions checked(PipelineOptions options, int ranks) {
  const std::vector<int> owners = group_ranks(options.placement, ranks);
  for (int r = 0; r < ranks; ++r) rank_ops(options.schedule, owners, r, options.chunks);
  return options;
}

// {rows, sample...}: the shape of `rows` samples of shape `sample`.
std::vector<int64_t> with_rows(int64_t rows, const std::vector<int64_t>& sample) {
  std::vector<int64_t> shape{rows};
  shape.insert(shape.end(), sample.begin(), sample.end());
  return shape;
}

// Bytes rounded up to whole 32-bit words (the unit quantized payloads travel in).
int64_t word_aligned(int64_t bytes) { return (bytes + 3) / 4 * 4; }

// Adds the seconds `body` takes on `device` to `total` and returns what it returns.
template <typename Body>
auto timed(const torch::Device& device, double& total, Body body) {
  const comm::DeviceTimer timer(device);
  if constexpr (std::is_void_v<decltype(body())>) {
    body();
    total += timer.seconds();
  } else {
    auto result = body();
    total += timer.seconds();
    return result;
  }
}

}  // namespace

PipelineTrainer::PipelineTrainer(models::StagedModel model, const models::InputShape& shape, StageSplit split,
                                 comm::Communicator& stages, PipelineOptions options, comm::Communicator* replicas)
    : model_(std::move(model)),
      split_(checked(std::move(split), options.placement, stages.size(), model_->stage_count())),
      stages_(stages),
      replicas_(replicas != nullptr && replicas->size() > 1 ? replicas : nullptr),
      options_(checked(std::move(options), stages.size())),
      group_ranks_(pipeline::group_ranks(options_.placement, stages_.size())),
      quantizer_(make_quantizer(options_.codec)),
      owned_(find_owned_parameters(shape)),
      optimizer_(owned_, options_.sgd) {}

std::vector<torch::Tensor> PipelineTrainer::find_owned_parameters(const models::InputShape& shape) {
  const bool training = model_->is_training();
  model_->eval();
  const auto params = model_->parameters();
  const auto options = params.empty() ? torch::TensorOptions() : params.front().options();
  torch::Tensor x = torch::zeros({1, shape.channels, shape.height, shape.width}, options.requires_grad(false));
  input_shapes_.assign(split_.size(), {});
  torch::Tensor total = torch::zeros({}, options.requires_grad(false));
  for (size_t g = 0; g < split_.size(); ++g) {
    if (rank_of(static_cast<int64_t>(g)) == stages_.rank()) {
      input_shapes_[g].assign(x.sizes().begin() + 1, x.sizes().end());
      total = total + run_group(static_cast<int64_t>(g), x).sum();
    }
    torch::NoGradGuard no_grad;
    for (int64_t s = split_[g].first; s < split_[g].end; ++s) x = model_->stage(s, x);
  }
  std::vector<torch::Tensor> all;
  for (const auto& p : model_->parameters())
    if (p.requires_grad()) all.push_back(p);
  const auto grads = torch::autograd::grad({total}, all, {}, false, false, /*allow_unused=*/true);
  std::vector<torch::Tensor> owned;
  for (size_t i = 0; i < all.size(); ++i)
    if (grads[i].defined()) owned.push_back(all[i]);
  model_->train(training);
  return owned;
}

torch::Tensor PipelineTrainer::run_group(int64_t group, torch::Tensor x) {
  const StageGroup& stages = split_.at(static_cast<size_t>(group));
  for (int64_t s = stages.first; s < stages.end; ++s) x = model_->stage(s, x);
  return last(group) ? model_->output(model_->features(x)) : x;
}

int64_t PipelineTrainer::wire_bytes(int64_t numel) const {
  return quantizer_ ? word_aligned(quantizer_->payload_bytes(numel)) : numel * 4;
}

void PipelineTrainer::send(const torch::Tensor& t, int dest, int tag, BoundaryStats& stats, comm::Traffic traffic) {
  torch::Tensor message = t.detach().to(torch::kFloat32).contiguous();
  stats.dense_bytes_sent += message.numel() * 4;
  if (quantizer_) {
    const torch::Tensor payload = quantizer_->encode(message.cpu());
    message = torch::zeros({word_aligned(payload.numel())}, torch::kUInt8);
    message.narrow(0, 0, payload.numel()).copy_(payload);
    message = message.view(torch::kInt32);
  }
  const comm::DeviceTimer posted(message.device());
  pending_.push_back({stages_.isend(message, dest, tag, traffic), &stats, posted, dest});
  stats.bytes_sent += message.numel() * static_cast<int64_t>(message.element_size());
  ++stats.messages_sent;
  // Sends that completed meanwhile give their buffers back.
  pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                [](PendingSend& p) {
                                  if (!p.request->test()) return false;
                                  p.stats->send_seconds += p.posted.seconds();
                                  return true;
                                }),
                 pending_.end());
}

torch::Device PipelineTrainer::device() const {
  return owned_.empty() ? torch::Device(torch::kCPU) : owned_.front().device();
}

void PipelineTrainer::finish_sends() {
  for (PendingSend& p : pending_) {
    if (!comm::wait_for(*p.request, options_.receive_timeout_s))
      throw std::runtime_error("pipeline: rank " + std::to_string(stages_.rank()) +
                               " could not deliver a message to rank " + std::to_string(p.dest) + " within " +
                               std::to_string(options_.receive_timeout_s) + " s");
    p.stats->send_seconds += p.posted.seconds();
  }
  pending_.clear();
}

torch::Tensor PipelineTrainer::receive(at::IntArrayRef shape, int source, int tag, BoundaryStats& stats,
                                       comm::Traffic traffic) {
  const torch::Device device = this->device();
  const int64_t numel = c10::multiply_integers(shape);
  torch::Tensor message = quantizer_ ? torch::empty({wire_bytes(numel) / 4}, torch::kInt32)
                                     : torch::empty(shape, torch::TensorOptions(torch::kFloat32).device(device));
  const comm::DeviceTimer timer(message.device());
  await(*stages_.irecv(message, source, tag, traffic), source, tag);
  stats.recv_seconds += timer.seconds();
  stats.bytes_received += message.numel() * static_cast<int64_t>(message.element_size());
  ++stats.messages_received;
  if (!quantizer_) return message;
  const torch::Tensor payload = message.view(torch::kUInt8).narrow(0, 0, quantizer_->payload_bytes(numel));
  return quantizer_->decode(payload, shape).to(device);
}

int64_t PipelineTrainer::micro_batch_count(int64_t rows) const { return std::min(options_.chunks, rows); }

double PipelineTrainer::train_step(const torch::Tensor& x, const torch::Tensor& y) {
  const int64_t n = x.size(0);
  if (n == 0 && !replicas_) throw std::invalid_argument("pipeline: a training batch of 0 samples");
  const comm::DeviceTimer step_timer(device());
  const int64_t chunks = micro_batch_count(n);
  const std::vector<torch::Tensor> xs = n > 0 ? x.tensor_split(chunks) : std::vector<torch::Tensor>{};
  const std::vector<torch::Tensor> ys = n > 0 ? y.tensor_split(chunks) : std::vector<torch::Tensor>{};
  const std::vector<RankOp> ops =
      n > 0 ? rank_ops(options_.schedule, group_ranks_, stages_.rank(), chunks) : std::vector<RankOp>{};
  model_->train();
  // Gradient buffers exist before the step, so its memory growth is activations alone.
  train::ensure_gradients(owned_);
  for (const torch::Tensor& p : owned_) p.grad().zero_();
  train::ActivationMemory memory(device());
  // Per group and micro-batch: its input (a leaf after a boundary) and output (the loss on the last group).
  std::vector<std::vector<torch::Tensor>> inputs(split_.size(), std::vector<torch::Tensor>(xs.size()));
  std::vector<std::vector<torch::Tensor>> outputs = inputs;
  double loss = 0.0;
  int64_t live = 0;
  for (const RankOp& rank_op : ops) {
    const int64_t g = rank_op.group;
    const auto i = static_cast<size_t>(rank_op.op.micro_batch);
    torch::Tensor& input = inputs[static_cast<size_t>(g)][i];
    torch::Tensor& output = outputs[static_cast<size_t>(g)][i];
    if (rank_op.op.kind == PipelineOp::Kind::Forward) {
      const int64_t rows = xs[i].size(0);
      input = first(g) ? xs[i]
                       : receive(with_rows(rows, input_shapes_[static_cast<size_t>(g)]), rank_of(g - 1),
                                 kActivationTag, previous_, comm::Traffic::Training)
                             .requires_grad_();
      output = timed(device(), stats_.compute_seconds, [&] {
        torch::Tensor out = run_group(g, input);
        if (last(g)) out = model_->loss()(out, ys[i].to(out.device())) * model_->loss().part_weight(rows, n);
        return out;
      });
      if (!last(g)) send(output, rank_of(g + 1), kActivationTag, next_, comm::Traffic::Training);
      stats_.peak_live_micro_batches = std::max(stats_.peak_live_micro_batches, ++live);
      memory.sample();
      continue;
    }
    if (last(g)) {
      loss += output.item<double>();
      timed(device(), stats_.compute_seconds, [&] { output.backward(); });
    } else {
      const torch::Tensor grad = receive(output.sizes(), rank_of(g + 1), kGradientTag, next_, comm::Traffic::Training);
      timed(device(), stats_.compute_seconds, [&] { output.backward(grad); });
    }
    if (!first(g)) send(input.grad(), rank_of(g - 1), kGradientTag, previous_, comm::Traffic::Training);
    input = torch::Tensor();  // the micro-batch's activations are freed here (1f1b holds fewer)
    output = torch::Tensor();
    --live;
  }
  finish_sends();
  stats_.peak_activation_bytes = std::max(stats_.peak_activation_bytes, memory.peak_bytes());
  train::ensure_gradients(owned_);
  average_over_replicas(n);
  models::mask_gradients(*model_);
  optimizer_.step();
  // The loss summed over the batch, and the batch size, from the last stage; summed over the replicas.
  torch::Tensor shared =
      from_last_stage(torch::tensor({model_->loss().summed_from(loss, n), static_cast<double>(n)}, torch::kFloat64));
  if (replicas_) replicas_->allreduce_sum(shared, comm::Traffic::Bookkeeping);
  ++stats_.steps;
  stats_.step_seconds += step_timer.seconds();
  return shared[0].item<double>() / shared[1].item<double>();
}

train::StepLoss PipelineTrainer::train_step(const torch::Tensor& x, const torch::Tensor& y, int64_t global_samples) {
  return {train_step(x, y) * static_cast<double>(global_samples), global_samples};
}

std::optional<train::Shard> PipelineTrainer::shard() const {
  return replicas_ ? train::Shard{replicas_->rank(), replicas_->size()} : train::Shard{};
}

void PipelineTrainer::set_learning_rate(double lr) { train::set_learning_rate(optimizer_, lr); }

comm::CommStats PipelineTrainer::take_stats() {
  comm::CommStats stats = stages_.take_stats();
  if (replicas_) stats += replicas_->take_stats();
  return stats;
}

void PipelineTrainer::await(comm::Request& receive, int source, int tag) const {
  if (!comm::wait_for(receive, options_.receive_timeout_s))
    throw std::runtime_error("pipeline: rank " + std::to_string(stages_.rank()) + " received nothing from rank " +
                             std::to_string(source) + " (tag " + std::to_string(tag) + ") within " +
                             std::to_string(options_.receive_timeout_s) + " s");
}

torch::Tensor PipelineTrainer::from_last_stage(torch::Tensor values) {
  const int last_rank = rank_of(static_cast<int64_t>(split_.size()) - 1);
  if (holds_loss()) {
    std::vector<std::unique_ptr<comm::Request>> sends;
    for (int r = 0; r < stages_.size(); ++r)
      if (r != last_rank) sends.push_back(stages_.isend(values, r, kResultTag, comm::Traffic::Bookkeeping));
    for (auto& request : sends)
      if (!comm::wait_for(*request, options_.receive_timeout_s))
        throw std::runtime_error("pipeline: the last stage could not deliver its results within " +
                                 std::to_string(options_.receive_timeout_s) + " s");
    return values;
  }
  await(*stages_.irecv(values, last_rank, kResultTag, comm::Traffic::Bookkeeping), last_rank, kResultTag);
  return values;
}

void PipelineTrainer::average_over_replicas(int64_t samples) {
  if (!replicas_) return;
  // Each replica's gradient weighted by its samples, and the samples, summed in one allreduce.
  const torch::Tensor grads = train::flatten_gradients(owned_);
  torch::Tensor flat = torch::cat({grads * static_cast<double>(samples),
                                   torch::full({1}, static_cast<double>(samples), grads.options())});
  replicas_->allreduce_sum(flat, comm::Traffic::Training);
  const int64_t count = grads.numel();
  train::unflatten_into_gradients(flat.narrow(0, 0, count) / flat.narrow(0, count, 1), owned_);
}

std::vector<torch::Tensor> PipelineTrainer::forward_eval(const std::vector<torch::Tensor>& xs) {
  torch::NoGradGuard no_grad;
  model_->eval();
  std::vector<torch::Tensor> logits;
  // The forwards of the training order (fill-drain's: each group's micro-batches in order).
  for (const RankOp& rank_op : rank_ops("fill_drain", group_ranks_, stages_.rank(), static_cast<int64_t>(xs.size()))) {
    if (rank_op.op.kind != PipelineOp::Kind::Forward) continue;
    const int64_t g = rank_op.group;
    const torch::Tensor& x = xs[static_cast<size_t>(rank_op.op.micro_batch)];
    const torch::Tensor in = first(g) ? x
                                      : receive(with_rows(x.size(0), input_shapes_[static_cast<size_t>(g)]),
                                                rank_of(g - 1), kActivationTag, evaluation_, comm::Traffic::Bookkeeping);
    const torch::Tensor out = run_group(g, in);
    if (last(g))
      logits.push_back(out);
    else
      send(out, rank_of(g + 1), kActivationTag, evaluation_, comm::Traffic::Bookkeeping);
  }
  finish_sends();
  return logits;
}

void PipelineTrainer::score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) {
  const int64_t chunks = micro_batch_count(x.size(0));
  const std::vector<torch::Tensor> ys = y.tensor_split(std::max<int64_t>(chunks, 1));
  const std::vector<torch::Tensor> logits = forward_eval(x.tensor_split(std::max<int64_t>(chunks, 1)));
  double loss = 0.0, correct = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const torch::Tensor labels = ys[i].to(logits[i].device());
    loss += model_->loss().summed(logits[i], labels).item<double>();
    correct += logits[i].argmax(1).eq(labels).sum().item<double>();
  }
  const torch::Tensor shared = from_last_stage(torch::tensor({loss, correct}, torch::kFloat64));
  model_->train();
  sums.samples += static_cast<double>(x.size(0));
  sums.loss += shared[0].item<double>();
  sums.correct += shared[1].item<double>();
}

void PipelineTrainer::infer(const torch::Tensor& x) {
  for (const torch::Tensor& logits : forward_eval(x.tensor_split(std::max<int64_t>(micro_batch_count(x.size(0)), 1))))
    logits.argmax(1).to(torch::kCPU);
  model_->train();
}

}  // namespace iddl::pipeline
