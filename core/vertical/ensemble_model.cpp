#include "core/vertical/ensemble_model.hpp"

#include <stdexcept>

#include "core/train/epoch_order.hpp"

namespace iddl::vertical {

EnsembleModelImpl::EnsembleModelImpl(models::StagedModel member, comm::Communicator& comm, std::string combine,
                                     int64_t classes, std::string training)
    : member_(register_module("member", std::move(member))),
      comm_(comm),
      combine_(std::move(combine)),
      end_to_end_(training == "end_to_end") {
  if (combine_ != "mean" && combine_ != "linear")
    throw std::invalid_argument("ensemble: unknown combine '" + combine_ + "' (known: mean, linear)");
  if (training != "separate" && training != "end_to_end")
    throw std::invalid_argument("ensemble: unknown training '" + training + "' (known: separate, end_to_end)");
  if (end_to_end_ && combine_ != "linear")
    throw std::invalid_argument("ensemble: training 'end_to_end' needs combine 'linear', got '" + combine_ + "'");
  if (combine_ == "linear") {
    const int64_t ranks = comm_.size();
    combiner_ = register_module("combiner", torch::nn::Linear(ranks * classes, classes));
    torch::NoGradGuard no_grad;  // starts as the mean of the members
    combiner_->weight.copy_(torch::eye(classes).repeat({1, ranks}) / static_cast<double>(ranks));
    combiner_->bias.zero_();
    combiner_sgd_ = std::make_unique<torch::optim::SGD>(combiner_->parameters(),
                                                        torch::optim::SGDOptions(0.01).momentum(0.9));
  }
}

int64_t EnsembleModelImpl::combiner_parameters() const {
  return combiner_ ? combiner_->weight.numel() + combiner_->bias.numel() : 0;
}

int64_t EnsembleModelImpl::combiner_flops() const { return combiner_parameters(); }

torch::Tensor EnsembleModelImpl::gather_logits(const torch::Tensor& x, comm::Traffic traffic) {
  torch::NoGradGuard no_grad;
  const torch::Tensor own = member_->forward(x).contiguous();
  const std::vector<torch::Tensor> parts = comm_.allgather(own.view(-1), traffic);
  std::vector<torch::Tensor> shaped;
  for (const auto& part : parts) shaped.push_back(part.view(own.sizes()));
  return torch::stack(shaped);
}

torch::Tensor EnsembleModelImpl::combine(const torch::Tensor& all) {
  if (combine_ == "mean") return all.mean(0);
  return combiner_(all.permute({1, 0, 2}).reshape({all.size(1), -1}));
}

std::vector<torch::Tensor> EnsembleModelImpl::sgd_parameters() {
  // end_to_end: the combiner is replicated. Every rank applies it to the same gathered logits and the
  // same labels, so its gradients, and hence its SGD steps, are identical on every rank: it stays the
  // same everywhere without an allreduce.
  return end_to_end_ ? parameters() : member_->parameters();
}

torch::Tensor EnsembleModelImpl::joint_logits(const torch::Tensor& x) {
  const torch::Tensor own = member_->forward(x);
  const std::vector<torch::Tensor> parts =
      comm_.allgather(own.detach().contiguous().view(-1), comm::Traffic::Training);
  std::vector<torch::Tensor> inputs;  // the combiner's input [N, ranks * classes], rank-major
  for (size_t r = 0; r < parts.size(); ++r)
    inputs.push_back(static_cast<int>(r) == comm_.rank() ? own : parts[r].view(own.sizes()));
  // Backward reaches this member through its own slice only: the gradient of that slice is computed
  // here from the gathered logits and the replicated combiner, so it needs no communication.
  return combiner_(torch::cat(inputs, 1));
}

torch::Tensor EnsembleModelImpl::forward(torch::Tensor x) {
  if (is_training()) return end_to_end_ ? joint_logits(x) : member_->forward(std::move(x));
  return combine(gather_logits(x, comm::Traffic::Bookkeeping));
}

void EnsembleModelImpl::score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) {
  const torch::Tensor all = gather_logits(x, comm::Traffic::Bookkeeping);
  const torch::Tensor logits = combine(all);
  sums.samples += static_cast<double>(x.size(0));
  sums.loss += loss().summed(logits, y).item<double>();
  sums.correct += logits.argmax(1).eq(y).sum().item<double>();
  for (int64_t r = 0; r < all.size(0); ++r)
    sums.extra["member_accuracy." + std::to_string(r)] += all[r].argmax(1).eq(y).sum().item<double>();
}

void EnsembleModelImpl::fit_combiner(const torch::Tensor& images, const torch::Tensor& labels, int64_t batch_size,
                                     double lr, uint64_t seed) {
  if (combine_ != "linear" || end_to_end_) return;
  const bool training = is_training();
  member_->eval();
  for (auto& group : combiner_sgd_->param_groups())
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
  const train::EpochOrder order(images.size(0), batch_size, 0, 1, seed, 0);
  const auto device = combiner_->weight.device();
  for (int64_t batch = 0; batch < order.batches(); ++batch) {
    const std::vector<int64_t> indices = order.local_indices(batch);
    const torch::Tensor rows = torch::tensor(indices, torch::kInt64);
    const torch::Tensor all = gather_logits(images.index_select(0, rows).to(device), comm::Traffic::Training);
    combiner_sgd_->zero_grad();
    loss()(combine(all), labels.index_select(0, rows).to(device)).backward();
    combiner_sgd_->step();
  }
  member_->train(training);
}

std::map<std::string, torch::Tensor> EnsembleModelImpl::combiner_state() const {
  std::map<std::string, torch::Tensor> state;
  if (!combiner_sgd_) return state;
  const std::vector<torch::Tensor>& parameters = combiner_sgd_->param_groups().at(0).params();
  for (size_t i = 0; i < parameters.size(); ++i) {
    const auto found = combiner_sgd_->state().find(c10::guts::to_string(parameters[i].unsafeGetTensorImpl()));
    if (found == combiner_sgd_->state().end()) continue;
    const auto& buffer = static_cast<const torch::optim::SGDParamState&>(*found->second).momentum_buffer();
    if (buffer.defined()) state["combiner_momentum_" + std::to_string(i)] = buffer;
  }
  return state;
}

void EnsembleModelImpl::restore_combiner_state(const std::map<std::string, torch::Tensor>& state) {
  if (!combiner_sgd_) return;
  const std::vector<torch::Tensor>& parameters = combiner_sgd_->param_groups().at(0).params();
  for (size_t i = 0; i < parameters.size(); ++i) {
    const auto found = state.find("combiner_momentum_" + std::to_string(i));
    if (found == state.end()) continue;
    auto buffer = std::make_unique<torch::optim::SGDParamState>();
    buffer->momentum_buffer(found->second.clone());
    combiner_sgd_->state()[c10::guts::to_string(parameters[i].unsafeGetTensorImpl())] = std::move(buffer);
  }
}

}  // namespace iddl::vertical
