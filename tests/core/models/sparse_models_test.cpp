// Masked layers and sparsified models: seed 000's counts, frozen masked weights, FLOPs per connection.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "core/models/layers.hpp"
#include "core/models/model.hpp"
#include "core/sparsity/connection_mask.hpp"

namespace iddl::models {
namespace {

const InputShape kFashion{1, 28, 28, 10};
const InputShape kCifar{3, 32, 32, 10};

// Seed 000's MLP 784-112-56-10 thinned by `sparsity`.
Model seed000_mlp(SparsityOptions sparsity) {
  torch::manual_seed(0);
  return make_model({"mlp", {112, 56}, std::move(sparsity)}, kFashion);
}

SparsityOptions method(std::string name) {
  SparsityOptions o;
  o.method = std::move(name);
  return o;
}

// Ones of the affine bibd mask of an n_in → n_out layer.
int64_t bibd_ones(int64_t n_in, int64_t n_out, sparsity::DesignKind kind = sparsity::DesignKind::Affine) {
  return sparsity::bibd_mask(kind, n_in, n_out).count();
}

TEST(SparseMlp, ReproducesSeed000WeightCounts) {
  EXPECT_EQ(count_weights(*seed000_mlp(method("none"))), 94640);
  EXPECT_EQ(count_weights(*seed000_mlp(method("bibd"))), 3136 + 570 + 560);
  EXPECT_EQ(count_weights(*seed000_mlp(method("random"))), 4266);
}

TEST(SparseMlp, ParametersAndFlopsCountOnlyConnections) {
  for (const char* name : {"bibd", "random"}) {
    Model m = seed000_mlp(method(name));
    EXPECT_EQ(count_parameters(*m), 4266 + 178) << name;
    EXPECT_EQ(count_flops(*m, kFashion), 4266 + 178) << name;
  }
}

TEST(SparseMlp, RandomMasksDifferFromBibdAndFollowTheSeed) {
  Model bibd = seed000_mlp(method("bibd"));
  SparsityOptions a = method("random"), b = method("random");
  b.seed = 2;
  const auto mask_of = [](Model m) { return m->named_buffers()["fc1.mask"]; };
  EXPECT_FALSE(torch::equal(mask_of(bibd), mask_of(seed000_mlp(a))));
  EXPECT_TRUE(torch::equal(mask_of(seed000_mlp(a)), mask_of(seed000_mlp(a))));
  EXPECT_FALSE(torch::equal(mask_of(seed000_mlp(a)), mask_of(seed000_mlp(b))));
}

TEST(SparseMlp, DesignLayersAndGroupsChangeTheMasks) {
  SparsityOptions projective = method("bibd");
  projective.design = "projective";
  EXPECT_EQ(count_weights(*seed000_mlp(projective)),
            bibd_ones(784, 112, sparsity::DesignKind::Projective) + bibd_ones(112, 56, sparsity::DesignKind::Projective) + 560);
  SparsityOptions all = method("bibd");
  all.layers = "all";
  EXPECT_EQ(count_weights(*seed000_mlp(all)), 4266 - 560 + bibd_ones(56, 10));
  SparsityOptions grouped = method("bibd");
  grouped.groups = 2;
  Model m = seed000_mlp(grouped);
  EXPECT_EQ(count_weights(*m), bibd_ones(392, 112) + bibd_ones(56, 56) + 560);
  const torch::Tensor fc1 = m->named_buffers()["fc1.mask"];  // block-diagonal: no cross-group links
  EXPECT_EQ(fc1.slice(0, 0, 56).slice(1, 392, 784).count_nonzero().item<int64_t>(), 0);
  EXPECT_EQ(fc1.slice(0, 56, 112).slice(1, 0, 392).count_nonzero().item<int64_t>(), 0);
  SparsityOptions group = method("group");
  group.groups = 4;
  EXPECT_EQ(count_weights(*seed000_mlp(group)), (784 * 112 + 112 * 56) / 4 + 560);
}

// The trainer's step: backward, mask_gradients, an exchange that fills every gradient entry in (as
// sign or low-rank compression does), mask_gradients, SGD.
TEST(SparseMlp, MaskedWeightsNeverMoveUnderSgdWithMomentumAndWeightDecay) {
  Model m = seed000_mlp(method("bibd"));
  const auto buffers = m->named_buffers();
  const auto params = m->named_parameters();
  const torch::Tensor mask = buffers["fc1.mask"], weight = params["fc1.linear.weight"];
  const torch::Tensor before = weight.detach().clone();
  EXPECT_EQ((before * (1 - mask)).abs().sum().item<float>(), 0.0f);  // zeroed at construction
  torch::optim::SGD sgd(m->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(5e-4));
  for (int step = 0; step < 5; ++step) {
    sgd.zero_grad();
    torch::nn::functional::cross_entropy(m->forward(torch::randn({16, 1, 28, 28})), torch::randint(0, 10, {16}))
        .backward();
    mask_gradients(*m);
    EXPECT_EQ((weight.grad() * (1 - mask)).abs().sum().item<float>(), 0.0f);
    weight.mutable_grad().add_(0.01);
    mask_gradients(*m);
    EXPECT_EQ((weight.grad() * (1 - mask)).abs().sum().item<float>(), 0.0f);
    sgd.step();
  }
  EXPECT_EQ((weight.detach() * (1 - mask)).abs().sum().item<float>(), 0.0f);
  EXPECT_GT((weight.detach() - before).abs().sum().item<float>(), 0.0f);  // the kept weights learn
}

TEST(MaskedConv2d, ForwardEqualsADenseConvWithTheMaskedWeight) {
  torch::manual_seed(3);
  const torch::Tensor mask = torch::randint(0, 2, {6, 4}).to(torch::kFloat32);
  Conv2d masked(torch::nn::Conv2dOptions(4, 6, 3).padding(1), mask);
  Conv2d dense(torch::nn::Conv2dOptions(4, 6, 3).padding(1));
  {
    torch::NoGradGuard no_grad;
    dense->conv->weight.copy_(masked->conv->weight);
    dense->conv->bias.copy_(masked->conv->bias);
  }
  const torch::Tensor w = masked->conv->weight.detach();
  EXPECT_TRUE(torch::equal(w, w * mask.view({6, 4, 1, 1})));  // masked channels zeroed over the window
  const torch::Tensor x = torch::randn({2, 4, 8, 8});
  EXPECT_TRUE(torch::allclose(masked(x), dense(x)));
  FlopMeter meter;
  masked(torch::zeros({1, 4, 8, 8}));
  const int64_t ones = mask.sum().item<int64_t>();
  EXPECT_EQ(meter.total(), 8 * 8 * (ones * 9 + 6));
  EXPECT_EQ(multiplicative_weights(*masked), ones * 9);
}

TEST(SparseResNet18, GroupsHalveEveryConvButTheStem) {
  const auto build = [](SparsityOptions o) {
    torch::manual_seed(0);
    return make_model({"resnet18", {}, std::move(o)}, kCifar);
  };
  const int64_t dense = count_weights(*build(method("none")));
  const int64_t stem = 3 * 64 * 9, fc = 512 * 10;
  SparsityOptions gc2 = method("group"), gc4 = method("group");
  gc2.groups = 2;
  gc4.groups = 4;
  Model g2 = build(gc2);
  EXPECT_EQ(count_weights(*g2), stem + fc + (dense - stem - fc) / 2);
  EXPECT_EQ(count_weights(*build(gc4)), stem + fc + (dense - stem - fc) / 4);
  EXPECT_EQ(g2->forward(torch::zeros({2, 3, 32, 32})).sizes(), (std::vector<int64_t>{2, 10}));
  // bibd masks [out, in/2] on top of the groups: layer1's 3x3 convs see 32 inputs per group.
  SparsityOptions bibd_gc2 = method("bibd");
  bibd_gc2.groups = 2;
  Model b2 = build(bibd_gc2);
  EXPECT_EQ(b2->named_buffers()["layer1.0.conv1.conv.mask"].sizes(), (std::vector<int64_t>{64, 32, 1, 1}));
  EXPECT_LT(count_weights(*b2), count_weights(*g2));
  EXPECT_LT(count_flops(*b2, kCifar), count_flops(*g2, kCifar));
}

// ResNet-18 on CIFAR-10 thinned by `o`.
Model resnet18(SparsityOptions o) {
  torch::manual_seed(0);
  return make_model({"resnet18", {}, std::move(o)}, kCifar);
}

// The 1x1 shortcut convs of ResNet-18: block, in and out channels.
const std::vector<std::tuple<std::string, int64_t, int64_t>> kShortcuts = {
    {"layer2.0", 64, 128}, {"layer3.0", 128, 256}, {"layer4.0", 256, 512}};

TEST(SparseResNet18, DenseShortcutsKeepEveryShortcutWeight) {
  for (const char* name : {"bibd", "random", "group"}) {
    SparsityOptions thinned = method(name), dense = method(name);
    thinned.groups = dense.groups = std::string(name) == "group" ? 2 : 1;
    dense.shortcuts = "dense";
    Model t = resnet18(thinned), d = resnet18(dense);
    int64_t all = 0, kept = 0;  // the shortcuts' weights, and those the thinned model keeps
    for (const auto& [block, in, out] : kShortcuts) {
      all += in * out;
      kept += std::string(name) == "group" ? in * out / 2 : bibd_ones(in, out);
      const torch::Tensor w = d->named_parameters()[block + ".shortcut.conv.conv.weight"];
      EXPECT_FALSE(d->named_buffers().contains(block + ".shortcut.conv.mask")) << name << block;
      EXPECT_EQ(w.sizes(), (std::vector<int64_t>{out, in, 1, 1})) << name << block;  // ungrouped
      EXPECT_EQ(w.ne(0).sum().item<int64_t>(), in * out) << name << block;           // every weight nonzero
    }
    EXPECT_EQ(count_parameters(*d) - count_parameters(*t), all - kept) << name;
    EXPECT_EQ(count_weights(*d) - count_weights(*t), all - kept) << name;
  }
}

TEST(SparseResNet18, DesignOverAllInputsCropsTheFullDesign) {
  for (int64_t groups : {2, 4}) {
    SparsityOptions seed = method("bibd");
    seed.groups = groups;
    seed.design_over = "all_inputs";
    Model m = resnet18(seed);
    // layer1.0.conv1 is 64 → 64, layer2.0.conv1 64 → 128, layer4.1.conv2 512 → 512
    for (auto [name, in, out] : {std::tuple{"layer1.0.conv1", 64, 64}, std::tuple{"layer2.0.conv1", 64, 128},
                                 std::tuple{"layer4.1.conv2", 512, 512}}) {
      const sparsity::Mask full = sparsity::bibd_mask(sparsity::DesignKind::Affine, in, out);
      const sparsity::Mask cropped = sparsity::first_columns(full, in / groups);
      const torch::Tensor expected =
          torch::from_blob(const_cast<uint8_t*>(cropped.bits.data()), {out, in / groups}, torch::kUInt8)
              .to(torch::kFloat32);
      const torch::Tensor mask = m->named_buffers()[std::string(name) + ".conv.mask"];
      EXPECT_TRUE(torch::equal(mask.squeeze(-1).squeeze(-1), expected)) << name << " groups " << groups;
      EXPECT_NE(cropped.count(), bibd_ones(in / groups, out)) << name;  // not the one-group design
    }
  }
}

TEST(SparseResNet18, Seed000RowsKeepTheWeightsDocsSparsityStates) {
  // docs/sparsity.md, "Seed 000's ResNet-18 rows": shortcuts dense, bibd_gc's design over all inputs; the stem
  // (1,728) and fc (5,120) weights are in every row.
  const auto row = [](const char* name, int64_t groups, bool all_inputs) {
    SparsityOptions o = method(name);
    o.groups = groups;
    o.shortcuts = "dense";
    if (all_inputs) o.design_over = "all_inputs";
    return count_weights(*resnet18(o));
  };
  EXPECT_EQ(count_weights(*resnet18(method("none"))), 11164352);
  EXPECT_EQ(row("bibd", 1, false), 760064);
  EXPECT_EQ(row("group", 2, false), 5671616);
  EXPECT_EQ(row("bibd", 2, true), 469436);
  EXPECT_EQ(row("group", 4, false), 2925248);
  EXPECT_EQ(row("bibd", 4, true), 324158);
}

TEST(SparseLeNet, HiddenThinsOnlyTheSecondConv) {
  torch::manual_seed(0);
  Model m = make_model({"lenet", {}, method("bibd")}, kFashion);
  EXPECT_EQ(count_weights(*m), 150 + bibd_ones(6, 16) * 25 + 48000 + 10080 + 840);
}

TEST(Sparsification, RejectsUnknownValuesAndIndivisibleGroups) {
  // values the matrix never resolves break an invariant; a layer the groups do not divide is the run's own error
  EXPECT_THROW(seed000_mlp(method("magic")), std::logic_error);
  SparsityOptions bad_design = method("bibd");
  bad_design.design = "spherical";
  EXPECT_THROW(seed000_mlp(bad_design), std::logic_error);
  SparsityOptions bad_shortcuts = method("bibd"), bad_over = method("bibd");
  bad_shortcuts.shortcuts = "sparse";
  bad_over.design_over = "everything";
  EXPECT_THROW(seed000_mlp(bad_shortcuts), std::logic_error);
  EXPECT_THROW(seed000_mlp(bad_over), std::logic_error);
  SparsityOptions none = method("group");
  none.groups = 0;
  EXPECT_THROW(seed000_mlp(none), std::logic_error);
  SparsityOptions three = method("group");
  three.groups = 3;  // 784 is not divisible by 3
  EXPECT_THROW(seed000_mlp(three), std::invalid_argument);
}

}  // namespace
}  // namespace iddl::models
