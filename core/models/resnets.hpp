#pragma once
#include "core/models/model.hpp"
#include "core/models/sparsification.hpp"

namespace iddl::models {

// The cifar10-fast ResNet-9 (Myrtle.ai, David Page): prep 64, layer1 128 + residual, layer2 256,
// layer3 512 + residual, adaptive max pool, Linear 512→classes without bias, logits × 0.125
// (applied to the features: the same product). Stages: prep, layer1, layer2, layer3.
// Hidden layers (thinned by "hidden" sparsity): every conv but prep's; "all" adds prep and fc.
StagedModel make_resnet9(const InputShape& shape, LayerFactory layers);

// The CIFAR ResNet-18 (kuangliu/pytorch-cifar): 3x3 stem 64, four stages of two BasicBlocks
// (64, 128, 256, 512; strides 1, 2, 2, 2), adaptive average pool, Linear 512→classes.
// Stages: stem, layer1, layer2, layer3, layer4.
// Hidden layers (thinned by "hidden" sparsity): every conv but the stem (shortcuts included); "all"
// adds the stem and fc.
StagedModel make_resnet18(const InputShape& shape, LayerFactory layers);

}  // namespace iddl::models
