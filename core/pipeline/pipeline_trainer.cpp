#include "core/pipeline/pipeline_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>

#include "core/models/layers.hpp"
#include "core/train/activation_memory.hpp"
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

// The fields of one boundary's measures, in order: a checkpoint's "measures" (values below 2^53 stay exact).
constexpr int64_t kBoundaryFields = 8;
constexpr int64_t kStageFields = 6;

void append_fields(std::vector<double>& out, const BoundaryStats& b) {
  out.insert(out.end(), {static_cast<double>(b.bytes_sent), static_cast<double>(b.dense_bytes_sent),
                         static_cast<double>(b.bytes_received), static_cast<double>(b.messages_sent),
                         static_cast<double>(b.messages_received), b.send_seconds, b.recv_seconds, b.codec_seconds});
}

BoundaryStats boundary_from(const double* v) {
  return {std::llround(v[0]), std::llround(v[1]), std::llround(v[2]), std::llround(v[3]),
          std::llround(v[4]), v[5],               v[6],               v[7]};
}

void append_fields(std::vector<double>& out, const StageStats& s) {
  out.insert(out.end(), {static_cast<double>(s.steps), s.step_seconds, s.compute_seconds,
                         static_cast<double>(s.peak_live_micro_batches), static_cast<double>(s.peak_activation_bytes),
                         s.update_seconds});
}

StageStats stage_from(const double* v) {
  return {std::llround(v[0]), v[1], v[2], std::llround(v[3]), std::llround(v[4]), v[5]};
}

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
    input_shapes_[g].assign(x.sizes().begin() + 1, x.sizes().end());
    if (rank_of(static_cast<int64_t>(g)) == stages_.rank()) total = total + run_group(static_cast<int64_t>(g), x).sum();
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
    message = timed(message.device(), stats.codec_seconds, [&] {
      torch::Tensor payload = quantizer_->encode(message.cpu());
      if (payload.numel() % 4 != 0) {  // padded to whole words; an aligned payload is sent in place
        torch::Tensor padded = torch::zeros({word_aligned(payload.numel())}, torch::kUInt8);
        padded.narrow(0, 0, payload.numel()).copy_(payload);
        payload = padded;
      }
      return payload.view(torch::kInt32);
    });
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

std::vector<ExpectedMessage> PipelineTrainer::expected_messages(const std::vector<RankOp>& ops,
                                                                const std::vector<int64_t>& rows,
                                                                bool forwards_only) const {
  const torch::Device device = this->device();
  std::vector<ExpectedMessage> expected;
  for (const RankOp& rank_op : ops) {
    const int64_t g = rank_op.group;
    const bool forward = rank_op.op.kind == PipelineOp::Kind::Forward;
    if (rank_op.op.kind == PipelineOp::Kind::BackwardWeight) continue;  // its BackwardInput received the gradient
    if (forward ? first(g) : (forwards_only || last(g))) continue;
    // A forward receives its group's input, a backward the gradient of its output (the next group's input).
    const std::vector<int64_t> shape = with_rows(rows.at(static_cast<size_t>(rank_op.op.micro_batch)),
                                                 input_shapes_.at(static_cast<size_t>(forward ? g : g + 1)));
    const int source = rank_of(forward ? g - 1 : g + 1);
    const int tag = forward ? kActivationTag : kGradientTag;
    if (quantizer_)
      expected.push_back({source, tag, {wire_bytes(c10::multiply_integers(shape)) / 4}, torch::kInt32});
    else
      expected.push_back({source, tag, shape, torch::TensorOptions(torch::kFloat32).device(device)});
  }
  return expected;
}

torch::Tensor PipelineTrainer::receive(BoundaryInbox& inbox, at::IntArrayRef shape, BoundaryStats& stats) {
  const comm::DeviceTimer timer(device());
  const torch::Tensor message = inbox.take(options_.receive_timeout_s);
  stats.recv_seconds += timer.seconds();
  stats.bytes_received += message.numel() * static_cast<int64_t>(message.element_size());
  ++stats.messages_received;
  if (!quantizer_) return message;
  const torch::Device device = this->device();
  return timed(device, stats.codec_seconds, [&] {
    const torch::Tensor payload =
        message.view(torch::kUInt8).narrow(0, 0, quantizer_->payload_bytes(c10::multiply_integers(shape)));
    return quantizer_->decode(payload, shape).to(device);
  });
}

bool PipelineTrainer::owns(const torch::Tensor& tensor) const {
  return std::any_of(owned_.begin(), owned_.end(), [&](const torch::Tensor& p) { return p.is_same(tensor); });
}

void PipelineTrainer::save(torch::serialize::OutputArchive& archive) const {
  torch::serialize::OutputArchive stage, optimizer;
  int64_t index = 0;
  for (const torch::Tensor& p : model_->parameters())  // by position: every rank builds the same network
    if (owns(p)) stage.write("parameter" + std::to_string(index++), p);
  index = 0;
  for (const torch::Tensor& b : model_->buffers()) stage.write("buffer" + std::to_string(index++), b, true);
  optimizer_.save(optimizer);
  archive.write("stage", stage);
  archive.write("optimizer", optimizer);
  std::vector<int64_t> bounds;
  for (const StageGroup& group : split_) bounds.insert(bounds.end(), {group.first, group.end});
  archive.write("split", torch::tensor(bounds, torch::kInt64));
  std::vector<double> measures;
  for (const BoundaryStats* boundary : {&previous_, &next_, &evaluation_}) append_fields(measures, *boundary);
  append_fields(measures, stats_);
  archive.write("measures", torch::tensor(measures, torch::kFloat64));
}

void PipelineTrainer::load(torch::serialize::InputArchive& archive) {
  if (checkpointed_split(archive) != split_)
    throw std::runtime_error("pipeline: the checkpoint was saved with another split of the stages");
  torch::serialize::InputArchive stage, optimizer;
  archive.read("stage", stage);
  archive.read("optimizer", optimizer);
  {
    torch::NoGradGuard no_grad;
    int64_t index = 0;
    for (torch::Tensor& p : model_->parameters()) {
      if (!owns(p)) continue;
      torch::Tensor saved;
      stage.read("parameter" + std::to_string(index++), saved);
      p.copy_(saved);
    }
    index = 0;
    for (torch::Tensor& b : model_->buffers()) {
      torch::Tensor saved;
      stage.read("buffer" + std::to_string(index++), saved, true);
      b.copy_(saved);
    }
  }
  optimizer_.load(optimizer);
  torch::Tensor measures;
  archive.read("measures", measures);
  if (measures.numel() != 3 * kBoundaryFields + kStageFields)
    throw std::runtime_error("pipeline: a checkpoint's measures hold " + std::to_string(measures.numel()) +
                             " values, expected " + std::to_string(3 * kBoundaryFields + kStageFields));
  const double* v = measures.contiguous().data_ptr<double>();
  previous_ = boundary_from(v);
  next_ = boundary_from(v + kBoundaryFields);
  evaluation_ = boundary_from(v + 2 * kBoundaryFields);
  stats_ = stage_from(v + 3 * kBoundaryFields);
}

StageSplit checkpointed_split(torch::serialize::InputArchive& archive) {
  torch::Tensor bounds;
  archive.read("split", bounds);
  bounds = bounds.contiguous();
  StageSplit split;
  for (int64_t i = 0; i + 1 < bounds.numel(); i += 2)
    split.push_back({bounds[i].item<int64_t>(), bounds[i + 1].item<int64_t>()});
  return split;
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
  std::vector<int64_t> rows;
  for (const torch::Tensor& part : xs) rows.push_back(part.size(0));
  model_->train();
  // Gradient buffers exist before the step, so its memory growth is activations alone (received ones included).
  train::ensure_gradients(owned_);
  train::ActivationMemory memory(device());
  // Every receive of the step is known now; the inbox posts them ahead, in the order the ops take them.
  BoundaryInbox inbox(stages_, expected_messages(ops, rows, false), comm::Traffic::Training);
  // They are zeroed before the first receive or backward, whichever comes first: where the rank would wait
  // anyway (the first stage's fill-drain zeroes them in the bubble before its first gradient arrives).
  bool zeroed = false;
  const auto zero_gradients = [&] {
    if (!zeroed)
      for (const torch::Tensor& p : owned_) p.grad().zero_();
    zeroed = true;
  };
  // The loss summed over the batch and the batch size: the last stage sends them to the other stages as soon as
  // its last forward has computed them, so they never wait for its backwards and optimizer step at the step's end.
  torch::Tensor result = torch::zeros({2}, torch::kFloat64);
  std::vector<std::unique_ptr<comm::Request>> result_sends;
  bool result_sent = false;
  double loss = 0.0;
  int64_t loss_parts = 0;
  const auto send_result_once = [&] {
    if (result_sent) return;
    result = torch::tensor({model_->loss().summed_from(loss, n), static_cast<double>(n)}, torch::kFloat64);
    result_sends = send_result(result);
    result_sent = true;
  };
  // Per group and micro-batch: its input (a leaf after a boundary) and output (the loss on the last group).
  std::vector<std::vector<torch::Tensor>> inputs(split_.size(), std::vector<torch::Tensor>(xs.size()));
  std::vector<std::vector<torch::Tensor>> outputs = inputs;
  // Per group and micro-batch: the gradient of its output, kept from its BackwardInput for its BackwardWeight (zb_h1).
  std::vector<std::vector<torch::Tensor>> output_grads = inputs;
  int64_t live = 0;
  for (const RankOp& rank_op : ops) {
    const int64_t g = rank_op.group;
    const auto i = static_cast<size_t>(rank_op.op.micro_batch);
    torch::Tensor& input = inputs[static_cast<size_t>(g)][i];
    torch::Tensor& output = outputs[static_cast<size_t>(g)][i];
    if (rank_op.op.kind == PipelineOp::Kind::Forward) {
      if (!first(g)) zero_gradients();
      input = first(g) ? xs[i]
                       : receive(inbox, with_rows(rows[i], input_shapes_[static_cast<size_t>(g)]), previous_)
                             .requires_grad_();
      output = timed(device(), stats_.compute_seconds, [&] {
        torch::Tensor out = run_group(g, input);
        if (last(g)) out = model_->loss()(out, ys[i].to(out.device())) * model_->loss().part_weight(rows[i], n);
        return out;
      });
      if (!last(g)) {
        send(output, rank_of(g + 1), kActivationTag, next_, comm::Traffic::Training);
      } else {
        loss += output.item<double>();
        if (++loss_parts == static_cast<int64_t>(xs.size())) send_result_once();
      }
      stats_.peak_live_micro_batches = std::max(stats_.peak_live_micro_batches, ++live);
      memory.sample();
      continue;
    }
    const PipelineOp::Kind kind = rank_op.op.kind;
    torch::Tensor& output_grad = output_grads[static_cast<size_t>(g)][i];  // undefined on the last group: the loss
    if (kind != PipelineOp::Kind::BackwardWeight) {
      zero_gradients();
      if (!last(g)) output_grad = receive(inbox, output.sizes(), next_);
    }
    if (kind == PipelineOp::Kind::BackwardInput) {
      // Only the input's gradient (autograd computes no weight gradient nobody asked for), sent upstream at once;
      // the graph stays for the weights' pass. The first group's input needs none.
      if (!first(g)) {
        const torch::Tensor input_grad = timed(device(), stats_.compute_seconds, [&] {
          const torch::autograd::variable_list grads =
              output_grad.defined() ? torch::autograd::variable_list{output_grad} : torch::autograd::variable_list{};
          return torch::autograd::grad({output}, {input}, grads, /*retain_graph=*/true)[0];
        });
        send(input_grad, rank_of(g - 1), kGradientTag, previous_, comm::Traffic::Training);
      }
      continue;
    }
    if (kind == PipelineOp::Kind::Backward) {
      timed(device(), stats_.compute_seconds, [&] { output.backward(output_grad); });
      if (!first(g)) send(input.grad(), rank_of(g - 1), kGradientTag, previous_, comm::Traffic::Training);
    } else if (!owned_.empty()) {  // BackwardWeight: the weights' gradients, accumulated in .grad as a backward does
      timed(device(), stats_.compute_seconds, [&] {
        output.backward(output_grad, /*retain_graph=*/false, /*create_graph=*/false, torch::TensorList(owned_));
      });
    }
    input = torch::Tensor();  // the micro-batch's activations are freed here (1f1b holds fewer)
    output = torch::Tensor();
    output_grad = torch::Tensor();
    --live;
  }
  const comm::DeviceTimer update_timer(device());
  zero_gradients();    // a replica with no samples ran no op
  send_result_once();  // likewise
  finish_sends();
  stats_.peak_activation_bytes = std::max(stats_.peak_activation_bytes, memory.peak_bytes());
  train::ensure_gradients(owned_);
  average_over_replicas(n);
  models::mask_gradients(*model_);
  optimizer_.step();
  // The loss summed over the batch, and the batch size, from the last stage; summed over the replicas.
  torch::Tensor shared = from_last_stage(result, std::move(result_sends));
  if (replicas_) replicas_->allreduce_sum(shared, comm::Traffic::Bookkeeping);
  stats_.update_seconds += update_timer.seconds();
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

std::vector<std::unique_ptr<comm::Request>> PipelineTrainer::send_result(const torch::Tensor& values) {
  std::vector<std::unique_ptr<comm::Request>> sends;
  if (!holds_loss()) return sends;
  for (int r = 0; r < stages_.size(); ++r)
    if (r != stages_.rank()) sends.push_back(stages_.isend(values, r, kResultTag, comm::Traffic::Bookkeeping));
  return sends;
}

torch::Tensor PipelineTrainer::from_last_stage(torch::Tensor values, std::vector<std::unique_ptr<comm::Request>> sends) {
  const int last_rank = rank_of(static_cast<int64_t>(split_.size()) - 1);
  if (holds_loss()) {
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
  const std::vector<RankOp> ops = rank_ops("fill_drain", group_ranks_, stages_.rank(), static_cast<int64_t>(xs.size()));
  std::vector<int64_t> rows;
  for (const torch::Tensor& x : xs) rows.push_back(x.size(0));
  BoundaryInbox inbox(stages_, expected_messages(ops, rows, true), comm::Traffic::Bookkeeping);
  for (const RankOp& rank_op : ops) {
    if (rank_op.op.kind != PipelineOp::Kind::Forward) continue;
    const int64_t g = rank_op.group;
    const torch::Tensor& x = xs[static_cast<size_t>(rank_op.op.micro_batch)];
    const torch::Tensor in =
        first(g) ? x : receive(inbox, with_rows(x.size(0), input_shapes_[static_cast<size_t>(g)]), evaluation_);
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
  const torch::Tensor values = torch::tensor({loss, correct}, torch::kFloat64);
  const torch::Tensor shared = from_last_stage(values, send_result(values));
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
