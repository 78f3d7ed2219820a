// FlatSgd over FlatParameters computes torch::optim::SGD's per-tensor update (momentum, Nesterov, weight decay,
// float and double), its momenta go to and come from the per-tensor optimizer's state (one checkpoint format), and
// the flat buffers notice a parameter that left them and put the gradients into storage given for them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/train/flat_parameters.hpp"
#include "core/train/flat_sgd.hpp"

namespace {

using iddl::train::FlatParameters;
using iddl::train::FlatSgd;

// Three parameters of different shapes, the same values for the same seed.
std::vector<torch::Tensor> make_parameters(torch::ScalarType type, uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<torch::Tensor> out;
  for (const auto& shape : {std::vector<int64_t>{7, 5}, std::vector<int64_t>{5}, std::vector<int64_t>{3, 2, 4}})
    out.push_back(torch::randn(shape, torch::TensorOptions().dtype(type)).requires_grad_(true));
  return out;
}

// Every parameter's gradient set to the same draws on both lists (in place: flat gradients stay views).
void set_gradients(std::vector<torch::Tensor>& a, std::vector<torch::Tensor>& b, uint64_t seed) {
  torch::manual_seed(seed);
  for (size_t k = 0; k < a.size(); ++k) {
    const torch::Tensor g = torch::randn_like(a[k]);
    if (!a[k].grad().defined()) a[k].mutable_grad() = torch::zeros_like(a[k]);
    if (!b[k].grad().defined()) b[k].mutable_grad() = torch::zeros_like(b[k]);
    a[k].mutable_grad().copy_(g);
    b[k].mutable_grad().copy_(g);
  }
}

void expect_close(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b, torch::ScalarType type) {
  const double rtol = type == torch::kFloat64 ? 1e-12 : 1e-5;
  const double atol = type == torch::kFloat64 ? 1e-14 : 1e-6;
  for (size_t k = 0; k < a.size(); ++k)
    EXPECT_TRUE(torch::allclose(a[k], b[k], rtol, atol))
        << "parameter " << k << ": max difference " << (a[k] - b[k]).abs().max().item<double>();
}

struct Case {
  std::string name;
  torch::optim::SGDOptions options;
};

std::vector<Case> cases() {
  return {{"plain", torch::optim::SGDOptions(0.1)},
          {"momentum", torch::optim::SGDOptions(0.1).momentum(0.9)},
          {"momentum_weight_decay", torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(1e-2)},
          {"nesterov_weight_decay", torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true).weight_decay(1e-2)}};
}

}  // namespace

TEST(FlatSgd, UpdatesAsTorchSgdPerTensor) {
  for (const auto type : {torch::kFloat32, torch::kFloat64}) {
    for (const Case& c : cases()) {
      SCOPED_TRACE(c.name + (type == torch::kFloat32 ? ", float" : ", double"));
      std::vector<torch::Tensor> flat_params = make_parameters(type, 1);
      std::vector<torch::Tensor> reference = make_parameters(type, 1);
      FlatParameters flat(flat_params);
      FlatSgd ours(flat, c.options);
      torch::optim::SGD theirs(reference, c.options);
      for (int step = 0; step < 6; ++step) {
        if (step == 3) {  // a schedule's change of rate
          ours.set_learning_rate(0.02);
          for (auto& group : theirs.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(0.02);
        }
        ours.zero_grad();
        EXPECT_EQ(flat.gradients().abs().sum().item<double>(), 0.0);
        set_gradients(flat_params, reference, 10 + static_cast<uint64_t>(step));
        ours.step();
        theirs.step();
      }
      expect_close(flat_params, reference, type);
      for (size_t k = 0; k < flat_params.size(); ++k)  // the update went through the views
        EXPECT_TRUE(torch::equal(flat.slice(flat.values(), k), flat_params[k]));
    }
  }
}

// Momenta exported into a per-tensor optimizer equal its own; imported into a fresh FlatSgd, the next steps are
// those of the uninterrupted one.
TEST(FlatSgd, MomentaGoThroughThePerTensorOptimizersState) {
  const auto options = torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true).weight_decay(1e-2);
  std::vector<torch::Tensor> flat_params = make_parameters(torch::kFloat64, 2);
  std::vector<torch::Tensor> reference = make_parameters(torch::kFloat64, 2);
  FlatParameters flat(flat_params);
  FlatSgd ours(flat, options);
  torch::optim::SGD theirs(reference, options);

  torch::optim::SGD before_any_step(flat_params, options);
  ours.export_state(before_any_step);
  EXPECT_TRUE(before_any_step.state().empty());

  for (int step = 0; step < 3; ++step) {
    set_gradients(flat_params, reference, 20 + static_cast<uint64_t>(step));
    ours.step();
    theirs.step();
  }
  torch::optim::SGD exported(flat_params, options);
  ours.export_state(exported);
  ASSERT_EQ(exported.state().size(), flat_params.size());
  for (size_t k = 0; k < flat_params.size(); ++k) {
    const auto key = [](const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); };
    const auto& mine = static_cast<torch::optim::SGDParamState&>(*exported.state().at(key(flat_params[k])));
    const auto& its = static_cast<torch::optim::SGDParamState&>(*theirs.state().at(key(reference[k])));
    EXPECT_TRUE(torch::allclose(mine.momentum_buffer(), its.momentum_buffer(), 1e-12, 1e-14)) << "parameter " << k;
    EXPECT_EQ(mine.momentum_buffer().sizes(), flat_params[k].sizes());
  }

  FlatSgd resumed(flat, options);
  resumed.import_state(exported);
  set_gradients(flat_params, reference, 30);
  resumed.step();
  theirs.step();
  expect_close(flat_params, reference, torch::kFloat64);

  torch::optim::SGD partial(flat_params, options);  // a momentum missing for one parameter
  partial.state()[c10::guts::to_string(flat_params[0].unsafeGetTensorImpl())] =
      std::make_unique<torch::optim::SGDParamState>(
          static_cast<torch::optim::SGDParamState&>(*exported.state().at(
              c10::guts::to_string(flat_params[0].unsafeGetTensorImpl()))));
  EXPECT_THROW(resumed.import_state(partial), std::invalid_argument);
}

// The layout is last parameter first; a replaced value or gradient is refused by step(), and relink() copies a
// replaced value back into the buffer.
TEST(FlatParameters, KeepsViewsAndNoticesWhatLeavesThem) {
  std::vector<torch::Tensor> params = make_parameters(torch::kFloat32, 3);
  const std::vector<torch::Tensor> values = [&] {
    std::vector<torch::Tensor> out;
    for (const auto& p : params) out.push_back(p.detach().clone());
    return out;
  }();
  FlatParameters flat(params);
  EXPECT_EQ(flat.offset(2), 0);
  EXPECT_EQ(flat.offset(1), 24);
  EXPECT_EQ(flat.offset(0), 29);
  EXPECT_EQ(flat.values().numel(), 64);
  EXPECT_TRUE(flat.covers({params[2], params[0], params[1]}));
  EXPECT_FALSE(flat.covers({params[0], params[1]}));
  for (size_t k = 0; k < params.size(); ++k) {
    EXPECT_TRUE(torch::equal(params[k], values[k]));  // the values kept what they held
    EXPECT_EQ(params[k].grad().data_ptr(), flat.slice(flat.gradients(), k).data_ptr());
  }
  FlatSgd sgd(flat, torch::optim::SGDOptions(0.1));
  EXPECT_NO_THROW(sgd.step());

  torch::Tensor loaded = torch::full_like(params[1], 2.5);
  {
    torch::NoGradGuard no_grad;
    params[1].set_(loaded);  // as loading a checkpoint does
  }
  EXPECT_THROW(sgd.step(), std::logic_error);
  flat.relink();
  EXPECT_NO_THROW(flat.check_in_place());
  EXPECT_TRUE(torch::equal(flat.slice(flat.values(), 1), loaded));

  params[0].mutable_grad() = torch::zeros_like(params[0]);
  EXPECT_THROW(sgd.step(), std::logic_error);
}

// Given storage for the gradients, they are zeroed views into it; storage of another size or type is refused.
TEST(FlatParameters, PutsTheGradientsInTheStorageGiven) {
  std::vector<torch::Tensor> params = make_parameters(torch::kFloat32, 3);
  torch::Tensor storage = torch::full({64}, 7.0f);
  FlatParameters flat(params, storage);
  EXPECT_EQ(flat.gradients().data_ptr(), storage.data_ptr());
  EXPECT_TRUE(storage.eq(0).all().item<bool>());
  for (size_t k = 0; k < params.size(); ++k)
    EXPECT_EQ(params[k].grad().data_ptr(), flat.slice(storage, k).data_ptr());
  std::vector<torch::Tensor> others = make_parameters(torch::kFloat32, 3);
  EXPECT_THROW(FlatParameters(others, torch::zeros({63})), std::invalid_argument);
  EXPECT_THROW(FlatParameters(others, torch::zeros({64}, torch::kFloat64)), std::invalid_argument);
  EXPECT_THROW(FlatParameters(others, torch::zeros({8, 8})), std::invalid_argument);
}
