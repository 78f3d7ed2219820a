#include "core/pipeline/stage_split.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/comm/device_timer.hpp"
#include "core/models/layers.hpp"

namespace iddl::pipeline {
namespace {

// Partial sums: prefix[j] = costs[0] + ... + costs[j-1].
std::vector<int64_t> prefix_sums(const std::vector<int64_t>& costs) {
  std::vector<int64_t> prefix(costs.size() + 1, 0);
  for (size_t i = 0; i < costs.size(); ++i) {
    if (costs[i] < 0) throw std::invalid_argument("pipeline: negative stage cost " + std::to_string(costs[i]));
    prefix[i + 1] = prefix[i] + costs[i];
  }
  return prefix;
}

}  // namespace

std::vector<int> group_ranks(const std::string& placement, int ranks) {
  if (placement == "contiguous") {
    std::vector<int> owners(static_cast<size_t>(ranks));
    for (int r = 0; r < ranks; ++r) owners[static_cast<size_t>(r)] = r;
    return owners;
  }
  if (placement == "first_and_last") {
    if (ranks != 2)
      throw std::invalid_argument("pipeline: placement first_and_last needs 2 ranks, got " + std::to_string(ranks));
    return {0, 1, 0};
  }
  throw std::invalid_argument("pipeline: unknown placement '" + placement + "' (expected contiguous or first_and_last)");
}

std::vector<int64_t> stage_flops(models::StagedModelImpl& model, const models::InputShape& shape) {
  const bool training = model.is_training();
  torch::NoGradGuard no_grad;
  model.eval();
  const auto params = model.parameters();
  const auto options = params.empty() ? torch::TensorOptions() : params.front().options();
  torch::Tensor x = torch::zeros({1, shape.channels, shape.height, shape.width}, options.requires_grad(false));
  std::vector<int64_t> costs;
  for (int64_t s = 0; s < model.stage_count(); ++s) {
    models::FlopMeter meter;
    x = model.stage(s, x);
    costs.push_back(meter.total());
  }
  models::FlopMeter head;
  model.output(model.features(x));
  if (!costs.empty()) costs.back() += head.total();
  model.train(training);
  return costs;
}

std::vector<int64_t> stage_microseconds(models::StagedModelImpl& model, const models::InputShape& shape, int64_t rows,
                                        int repeats) {
  if (repeats < 1) throw std::invalid_argument("pipeline: stage timing needs repeats >= 1");
  const bool training = model.is_training();
  std::vector<torch::Tensor> buffers;  // batch-norm statistics, restored after the timing runs
  for (const auto& b : model.buffers()) buffers.push_back(b.clone());
  model.train();
  const auto params = model.parameters();
  const auto options = params.empty() ? torch::TensorOptions() : params.front().options();
  const torch::Tensor images = torch::randn({rows, shape.channels, shape.height, shape.width}, options);
  const torch::Tensor labels = torch::randint(0, shape.classes, {rows}, options.dtype(torch::kInt64));
  const int64_t stages = model.stage_count();
  std::vector<std::vector<double>> timings(static_cast<size_t>(stages));
  for (int r = 0; r <= repeats; ++r) {  // r = 0 warms up
    torch::Tensor x = images;
    for (int64_t s = 0; s < stages; ++s) {
      const torch::Tensor in = x.detach().requires_grad_(s > 0);
      const comm::DeviceTimer timer(images.device());  // on a GPU: the kernels, not their launches
      torch::Tensor out = model.stage(s, in);
      if (s + 1 == stages) out = model.loss()(model.output(model.features(out)), labels);
      out.backward(s + 1 == stages ? torch::Tensor() : torch::ones_like(out));
      if (r > 0) timings[s].push_back(timer.seconds() * 1e6);
      x = out;
    }
  }
  for (auto& p : model.parameters()) p.mutable_grad() = torch::Tensor();
  {
    torch::NoGradGuard no_grad;
    const auto now = model.buffers();
    for (size_t i = 0; i < now.size(); ++i) now[i].copy_(buffers[i]);
  }
  model.train(training);
  std::vector<int64_t> costs;
  for (auto& t : timings) {
    std::nth_element(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(t.size() / 2), t.end());
    costs.push_back(static_cast<int64_t>(t[t.size() / 2]) + 1);
  }
  return costs;
}

StageSplit balanced_split(const std::vector<int64_t>& costs, int64_t groups) {
  const auto n = static_cast<int64_t>(costs.size());
  if (groups < 1 || groups > n)
    throw std::invalid_argument("pipeline: cannot split " + std::to_string(n) + " stages into " +
                                std::to_string(groups) + " non-empty groups");
  const std::vector<int64_t> prefix = prefix_sums(costs);
  constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  // best[k][j]: the least largest cost of the first j stages in k + 1 groups; cut[k][j]: where the last group starts.
  std::vector<std::vector<int64_t>> best(groups, std::vector<int64_t>(n + 1, kNone)), cut = best;
  for (int64_t j = 1; j <= n; ++j) best[0][j] = prefix[j];
  for (int64_t k = 1; k < groups; ++k)
    for (int64_t j = k + 1; j <= n; ++j)
      for (int64_t i = k; i < j; ++i) {
        const int64_t worst = std::max(best[k - 1][i], prefix[j] - prefix[i]);
        if (worst < best[k][j]) {
          best[k][j] = worst;
          cut[k][j] = i;
        }
      }
  StageSplit split(groups);
  int64_t end = n;
  for (int64_t k = groups - 1; k >= 0; --k) {
    const int64_t first = k == 0 ? 0 : cut[k][end];
    split[k] = {first, end};
    end = first;
  }
  return split;
}

StageSplit explicit_split(int64_t stage_count, const std::vector<int64_t>& starts) {
  StageSplit split;
  int64_t first = 0;
  for (const int64_t start : starts) {
    if (start <= first || start >= stage_count)
      throw std::invalid_argument("pipeline: split point " + std::to_string(start) + " must lie in " +
                                  std::to_string(first + 1) + ".." + std::to_string(stage_count - 1) + " (" +
                                  std::to_string(stage_count) + " stages, increasing points)");
    split.push_back({first, start});
    first = start;
  }
  if (first >= stage_count) throw std::invalid_argument("pipeline: a network with 0 stages cannot be split");
  split.push_back({first, stage_count});
  return split;
}

StageSplit split_by_flops(models::StagedModelImpl& model, const models::InputShape& shape, int64_t groups) {
  return balanced_split(stage_flops(model, shape), groups);
}

int64_t max_group_cost(const StageSplit& split, const std::vector<int64_t>& costs) {
  int64_t worst = 0;
  for (const StageGroup& group : split) {
    int64_t cost = 0;
    for (int64_t s = group.first; s < group.end; ++s) cost += costs.at(static_cast<size_t>(s));
    worst = std::max(worst, cost);
  }
  return worst;
}

}  // namespace iddl::pipeline
