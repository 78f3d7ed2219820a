#include "core/pipeline/pipeline_trainer.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "core/models/layers.hpp"

namespace iddl::pipeline {
namespace {

constexpr int kActivationTag = 7001;
constexpr int kGradientTag = 7002;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The quantizer the codec names, or none for "none"; throws std::invalid_argument for other methods.
std::optional<compress::ActivationQuantizer> make_quantizer(const BoundaryCodec& codec) {
  if (codec.method == "none") return std::nullopt;
  if (codec.method == "sortquant") return compress::sortquant(codec.bits, codec.split);
  if (codec.method == "uniform") return compress::uniform(codec.bits);
  throw std::invalid_argument("pipeline: unknown boundary codec '" + codec.method +
                              "' (expected none, sortquant or uniform)");
}

// `split` when it has one group per rank and its groups cover stages 0..stages-1 contiguously, each
// non-empty; throws std::invalid_argument otherwise.
StageSplit checked(StageSplit split, const comm::Communicator& comm, int64_t stages) {
  if (static_cast<int>(split.size()) != comm.size())
    throw std::invalid_argument("pipeline: a split of " + std::to_string(split.size()) + " groups for " +
                                std::to_string(comm.size()) + " ranks");
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

// `options` when chunks >= 1; throws std::invalid_argument otherwise.
PipelineOptions checked(PipelineOptions options) {
  if (options.chunks < 1)
    throw std::invalid_argument("pipeline: chunks must be >= 1, got " + std::to_string(options.chunks));
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

}  // namespace

PipelineTrainer::PipelineTrainer(models::StagedModel model, const models::InputShape& shape, StageSplit split,
                                 comm::Communicator& comm, PipelineOptions options)
    : model_(std::move(model)),
      split_(checked(std::move(split), comm, model_->stage_count())),
      comm_(comm),
      options_(checked(std::move(options))),
      quantizer_(make_quantizer(options_.codec)),
      owned_(find_owned_parameters(shape)),
      optimizer_(owned_, options_.sgd) {}

std::vector<torch::Tensor> PipelineTrainer::find_owned_parameters(const models::InputShape& shape) {
  const bool training = model_->is_training();
  model_->eval();
  const auto params = model_->parameters();
  const auto options = params.empty() ? torch::TensorOptions() : params.front().options();
  torch::Tensor x = torch::zeros({1, shape.channels, shape.height, shape.width}, options.requires_grad(false));
  {
    torch::NoGradGuard no_grad;
    for (int64_t s = 0; s < group().first; ++s) x = model_->stage(s, x);
  }
  input_shape_.assign(x.sizes().begin() + 1, x.sizes().end());
  std::vector<torch::Tensor> all;
  for (const auto& p : model_->parameters())
    if (p.requires_grad()) all.push_back(p);
  const torch::Tensor total = run_local(x).sum();
  const auto grads = torch::autograd::grad({total}, all, {}, false, false, /*allow_unused=*/true);
  std::vector<torch::Tensor> owned;
  for (size_t i = 0; i < all.size(); ++i)
    if (grads[i].defined()) owned.push_back(all[i]);
  model_->train(training);
  return owned;
}

torch::Tensor PipelineTrainer::run_local(torch::Tensor x) {
  for (int64_t s = group().first; s < group().end; ++s) x = model_->stage(s, x);
  return last() ? model_->output(model_->features(x)) : x;
}

int64_t PipelineTrainer::wire_bytes(int64_t numel) const {
  return quantizer_ ? word_aligned(quantizer_->payload_bytes(numel)) : numel * 4;
}

void PipelineTrainer::send(const torch::Tensor& t, int dest, int tag, BoundaryStats& stats, comm::Traffic traffic) {
  torch::Tensor message = t.detach().to(torch::kFloat32).contiguous();
  if (quantizer_) {
    const torch::Tensor payload = quantizer_->encode(message.cpu());
    message = torch::zeros({word_aligned(payload.numel())}, torch::kUInt8);
    message.narrow(0, 0, payload.numel()).copy_(payload);
    message = message.view(torch::kInt32);
  }
  const auto start = Clock::now();
  comm_.send(message, dest, tag, traffic);
  stats.send_seconds += seconds_since(start);
  stats.bytes_sent += message.numel() * static_cast<int64_t>(message.element_size());
  ++stats.messages_sent;
}

torch::Tensor PipelineTrainer::receive(at::IntArrayRef shape, int source, int tag, BoundaryStats& stats,
                                       comm::Traffic traffic) {
  const auto device = owned_.empty() ? torch::Device(torch::kCPU) : owned_.front().device();
  const int64_t numel = c10::multiply_integers(shape);
  torch::Tensor message = quantizer_ ? torch::empty({wire_bytes(numel) / 4}, torch::kInt32)
                                     : torch::empty(shape, torch::TensorOptions(torch::kFloat32).device(device));
  const auto start = Clock::now();
  await(source, tag);
  comm_.recv(message, source, tag, traffic);
  stats.recv_seconds += seconds_since(start);
  stats.bytes_received += message.numel() * static_cast<int64_t>(message.element_size());
  ++stats.messages_received;
  if (!quantizer_) return message;
  const torch::Tensor payload = message.view(torch::kUInt8).narrow(0, 0, quantizer_->payload_bytes(numel));
  return quantizer_->decode(payload, shape).to(device);
}

void PipelineTrainer::await(int source, int tag) const {
  if (options_.receive_timeout_s <= 0.0) return;
  const auto start = Clock::now();
  for (;;) {
    const auto envelope = comm_.probe();
    if (envelope && envelope->source == source && envelope->tag == tag) return;
    if (seconds_since(start) > options_.receive_timeout_s)
      throw std::runtime_error("pipeline: rank " + std::to_string(comm_.rank()) + " received nothing from rank " +
                               std::to_string(source) + " (tag " + std::to_string(tag) + ") within " +
                               std::to_string(options_.receive_timeout_s) + " s");
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> PipelineTrainer::micro_batches(
    const torch::Tensor& x, const torch::Tensor& y) const {
  if (x.size(0) < options_.chunks)
    throw std::invalid_argument("pipeline: a batch of " + std::to_string(x.size(0)) + " samples cannot make " +
                                std::to_string(options_.chunks) + " micro-batches");
  return {x.tensor_split(options_.chunks), y.tensor_split(options_.chunks)};
}

double PipelineTrainer::train_step(const torch::Tensor& x, const torch::Tensor& y) {
  const auto [xs, ys] = micro_batches(x, y);
  const int64_t n = x.size(0);
  const int rank = comm_.rank();
  model_->train();
  optimizer_.zero_grad();
  std::vector<torch::Tensor> inputs, outputs;
  // Fill: every micro-batch forward, its boundary activation to the next rank.
  for (size_t i = 0; i < xs.size(); ++i) {
    const int64_t rows = xs[i].size(0);
    torch::Tensor in = first() ? xs[i]
                               : receive(with_rows(rows, input_shape_), rank - 1, kActivationTag, previous_,
                                         comm::Traffic::Training)
                                     .requires_grad_();
    torch::Tensor out = run_local(in);
    if (last())
      out = torch::nn::functional::cross_entropy(out, ys[i].to(out.device())) *
            (static_cast<double>(rows) / static_cast<double>(n));
    else
      send(out, rank + 1, kActivationTag, next_, comm::Traffic::Training);
    inputs.push_back(in);
    outputs.push_back(out);
  }
  // Drain: backward in reverse order, each input's gradient to the previous rank.
  double loss = 0.0;
  for (size_t i = xs.size(); i-- > 0;) {
    if (last()) {
      loss += outputs[i].item<double>();
      outputs[i].backward();
    } else {
      outputs[i].backward(receive(outputs[i].sizes(), rank + 1, kGradientTag, next_, comm::Traffic::Training));
    }
    if (!first()) send(inputs[i].grad(), rank - 1, kGradientTag, previous_, comm::Traffic::Training);
  }
  models::mask_gradients(*model_);
  optimizer_.step();
  torch::Tensor shared = torch::tensor({loss}, torch::kFloat64);
  comm_.broadcast(shared, comm_.size() - 1, comm::Traffic::Bookkeeping);
  return shared.item<double>();
}

void PipelineTrainer::score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) {
  torch::NoGradGuard no_grad;
  const auto [xs, ys] = micro_batches(x, y);
  const int rank = comm_.rank();
  model_->eval();
  double loss = 0.0, correct = 0.0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const torch::Tensor in = first() ? xs[i]
                                     : receive(with_rows(xs[i].size(0), input_shape_), rank - 1, kActivationTag,
                                               evaluation_, comm::Traffic::Bookkeeping);
    const torch::Tensor out = run_local(in);
    if (!last()) {
      send(out, rank + 1, kActivationTag, evaluation_, comm::Traffic::Bookkeeping);
      continue;
    }
    const torch::Tensor labels = ys[i].to(out.device());
    loss += torch::nn::functional::cross_entropy(
                out, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                .item<double>();
    correct += out.argmax(1).eq(labels).sum().item<double>();
  }
  torch::Tensor shared = torch::tensor({loss, correct}, torch::kFloat64);
  comm_.broadcast(shared, comm_.size() - 1, comm::Traffic::Bookkeeping);
  sums.samples += static_cast<double>(x.size(0));
  sums.loss += shared[0].item<double>();
  sums.correct += shared[1].item<double>();
}

}  // namespace iddl::pipeline
