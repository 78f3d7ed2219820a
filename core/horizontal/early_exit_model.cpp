#include "core/horizontal/early_exit_model.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

namespace iddl::horizontal {
namespace {

// The 0-based stage indices of the branches: `exits` (1-based) checked, or every stage but the last.
std::vector<int64_t> branch_stages(const std::vector<int64_t>& exits, int64_t stages) {
  std::vector<int64_t> out;
  if (exits.empty()) {
    for (int64_t s = 0; s + 1 < stages; ++s) out.push_back(s);
    return out;
  }
  std::set<int64_t> seen;
  for (const int64_t e : exits) {
    if (e < 1 || e >= stages)
      throw std::invalid_argument("early_exit: exit after stage " + std::to_string(e) + " is not in [1, " +
                                  std::to_string(stages - 1) + "] (the model has " + std::to_string(stages) +
                                  " stages; its own output is the last exit)");
    if (!seen.insert(e).second) throw std::invalid_argument("early_exit: exit " + std::to_string(e) + " repeated");
    out.push_back(e - 1);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Whether the branches' losses train the trunk: "joint" yes, "detached" no.
bool detached_training(const std::string& training) {
  if (training != "joint" && training != "detached")
    throw std::invalid_argument("early_exit: branch_training \"" + training + "\" is not \"joint\" or \"detached\"");
  return training == "detached";
}

// Seed 000's random_weight (resnet/main_manual.py): normal with std sqrt(2 / fan_in); its biases are zero_weight.
void seed_init(torch::Tensor& weight, torch::Tensor& bias, int64_t fan_in) {
  torch::NoGradGuard no_grad;
  weight.normal_(0.0, std::sqrt(2.0 / static_cast<double>(fan_in)));
  bias.zero_();
}

}  // namespace

BranchImpl::BranchImpl(const std::vector<int64_t>& features, int64_t classes, const std::string& kind) {
  const bool maps = features.size() == 3;
  int64_t size = 1;
  for (const int64_t d : features) size *= d;
  if (kind == "pool_linear") {
    linear_ = register_module("linear", models::Linear(torch::nn::LinearOptions(maps ? features[0] : size, classes)));
    if (maps) pool_ = register_module("pool", models::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)));
    return;
  }
  if (kind != "conv_linear")
    throw std::invalid_argument("branch \"" + kind + "\" is not \"pool_linear\" or \"conv_linear\"");
  if (!maps)
    throw std::invalid_argument("branch \"conv_linear\" needs feature maps [C, H, W], but the stage gives " +
                                std::to_string(features.size()) + "-d samples");
  constexpr int64_t kChannels = 32, kKernel = 3;
  const int64_t in = features[0];
  conv_ = register_module(
      "conv", models::Conv2d(torch::nn::Conv2dOptions(in, kChannels, kKernel).stride(1).padding(1).bias(true)));
  linear_ = register_module(
      "linear", models::Linear(torch::nn::LinearOptions(kChannels * features[1] * features[2], classes)));
  seed_init(conv_->conv->weight, conv_->conv->bias, in * kKernel * kKernel);
  seed_init(linear_->linear->weight, linear_->linear->bias, kChannels * features[1] * features[2]);
}

torch::Tensor BranchImpl::forward(const torch::Tensor& x) {
  if (conv_) return linear_(torch::relu(conv_(x)).flatten(1));
  return linear_(pool_ ? pool_(x).flatten(1) : x.flatten(1));
}

EarlyExitModelImpl::EarlyExitModelImpl(models::StagedModel backbone, const EarlyExitOptions& options,
                                       const models::InputShape& shape)
    : backbone_(register_module("backbone", std::move(backbone))),
      exit_after_(branch_stages(options.exits, backbone_->stage_count())),
      branch_weight_(options.branch_weight),
      threshold_(options.threshold),
      detached_(detached_training(options.branch_training)) {
  if (!(threshold_ > 0.0 && threshold_ <= 1.0))
    throw std::invalid_argument("early_exit: threshold " + std::to_string(threshold_) + " is not in (0, 1]");
  if (branch_weight_ < 0.0) throw std::invalid_argument("early_exit: branch_weight must be >= 0");
  {
    torch::NoGradGuard no_grad;
    const bool training = backbone_->is_training();
    backbone_->eval();
    torch::Tensor x = torch::zeros({1, shape.channels, shape.height, shape.width});
    size_t next = 0;
    for (int64_t s = 0; s < backbone_->stage_count() && next < exit_after_.size(); ++s) {
      x = backbone_->stage(s, x);
      if (s != exit_after_[next]) continue;
      try {
        branches_.push_back(
            register_module("exit" + std::to_string(++next), Branch(x[0].sizes().vec(), shape.classes, options.branch)));
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("early_exit: exit after stage " + std::to_string(s + 1) + ": " + e.what());
      }
    }
    backbone_->train(training);
  }
  count_exit_flops(shape);
}

void EarlyExitModelImpl::count_exit_flops(const models::InputShape& shape) {
  torch::NoGradGuard no_grad;
  const bool training = is_training();
  eval();
  torch::Tensor x = torch::zeros({1, shape.channels, shape.height, shape.width});
  int64_t crossed = 0;  // stages and branches met so far
  size_t next = 0;
  for (int64_t s = 0; s < backbone_->stage_count(); ++s) {
    models::FlopMeter stage;
    x = backbone_->stage(s, x);
    crossed += stage.total();
    if (next < exit_after_.size() && s == exit_after_[next]) {
      models::FlopMeter branch;
      branches_[next]->forward(x);
      crossed += branch.total();
      exit_flops_.push_back(crossed);
      ++next;
    }
  }
  models::FlopMeter head;
  backbone_->output(backbone_->features(x));
  exit_flops_.push_back(crossed + head.total());
  models::FlopMeter baseline;
  backbone_->forward(torch::zeros({1, shape.channels, shape.height, shape.width}));
  baseline_flops_ = baseline.total();
  train(training);
}

std::vector<torch::Tensor> EarlyExitModelImpl::all_exits(torch::Tensor x, bool detach) {
  std::vector<torch::Tensor> logits;
  size_t next = 0;
  for (int64_t s = 0; s < backbone_->stage_count(); ++s) {
    x = backbone_->stage(s, x);
    if (next < exit_after_.size() && s == exit_after_[next])
      logits.push_back(branches_[next++]->forward(detach ? x.detach() : x));
  }
  logits.push_back(backbone_->output(backbone_->features(x)));
  return logits;
}

torch::Tensor EarlyExitModelImpl::branch_only(torch::Tensor x, size_t b) {
  for (int64_t s = 0; s <= exit_after_[b]; ++s) x = backbone_->stage(s, x);
  return branches_[b]->forward(x);
}

void EarlyExitModelImpl::set_single_exit(int64_t k) {
  const int64_t exits = static_cast<int64_t>(branches_.size()) + 1;
  if (k < 0 || k > exits)
    throw std::invalid_argument("early_exit: exit " + std::to_string(k) + " is not in [0, " + std::to_string(exits) +
                                "]");
  single_exit_ = k;
}

torch::Tensor EarlyExitModelImpl::training_loss(const torch::Tensor& x, const torch::Tensor& y) {
  const std::vector<torch::Tensor> logits = all_exits(x, detached_);
  torch::Tensor loss = this->loss()(logits.back(), y);
  for (size_t k = 0; k + 1 < logits.size(); ++k) loss = loss + branch_weight_ * this->loss()(logits[k], y);
  return loss;
}

torch::Tensor EarlyExitModelImpl::forward(torch::Tensor x) {
  if (!is_training() && single_exit_ > static_cast<int64_t>(branches_.size())) return backbone_->forward(std::move(x));
  if (!is_training() && single_exit_ > 0) return branch_only(std::move(x), static_cast<size_t>(single_exit_ - 1));
  if (is_training() || !exiting_) return backbone_->forward(std::move(x));
  torch::Tensor result;
  torch::Tensor remaining = torch::arange(x.size(0), torch::TensorOptions().dtype(torch::kInt64).device(x.device()));
  size_t next = 0;
  for (int64_t s = 0; s < backbone_->stage_count(); ++s) {
    x = backbone_->stage(s, x);
    if (next >= exit_after_.size() || s != exit_after_[next]) continue;
    const torch::Tensor logits = branches_[next++]->forward(x);
    if (!result.defined()) result = torch::empty({remaining.size(0), logits.size(1)}, logits.options());
    const torch::Tensor leave = std::get<0>(torch::softmax(logits, 1).max(1)) >= threshold_;
    result.index_copy_(0, remaining.masked_select(leave), logits.index({leave}));
    const torch::Tensor stay = leave.logical_not();
    if (!stay.any().item<bool>()) return result;
    x = x.index({stay});
    remaining = remaining.masked_select(stay);
  }
  const torch::Tensor logits = backbone_->output(backbone_->features(x));
  if (!result.defined()) return logits;
  result.index_copy_(0, remaining, logits);
  return result;
}

void EarlyExitModelImpl::score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) {
  const std::vector<torch::Tensor> logits = all_exits(x);
  const int64_t n = x.size(0), exits = static_cast<int64_t>(logits.size());
  // exit taken per sample: the first confident branch, else the final output
  torch::Tensor taken = torch::full({n}, exits - 1, torch::kInt64);
  torch::Tensor open = torch::ones({n}, torch::kBool);
  for (int64_t k = 0; k + 1 < exits; ++k) {
    const torch::Tensor leave = open.logical_and(std::get<0>(torch::softmax(logits[k], 1).max(1)).cpu() >= threshold_);
    taken.masked_fill_(leave, k);
    open = open.logical_and(leave.logical_not());
  }
  torch::Tensor chosen = logits.back().clone();
  const torch::Tensor taken_on_device = taken.to(chosen.device());
  for (int64_t k = 0; k + 1 < exits; ++k) {
    const torch::Tensor at = taken_on_device.eq(k);
    chosen.index_put_({at}, logits[k].index({at}));
  }
  sums.samples += static_cast<double>(n);
  sums.loss += loss().summed(chosen, y).item<double>();
  sums.correct += chosen.argmax(1).eq(y).sum().item<double>();
  double flops = 0.0;
  for (int64_t k = 0; k < exits; ++k) {
    const std::string exit = std::to_string(k + 1);
    const double leaving = taken.eq(k).sum().item<double>();
    sums.extra["exit_accuracy." + exit] += logits[k].argmax(1).eq(y).sum().item<double>();
    sums.extra["exit_fraction." + exit] += leaving;
    flops += leaving * static_cast<double>(exit_flops_[k]);
  }
  sums.extra["mean_inference_flops"] += flops;
}

}  // namespace iddl::horizontal
