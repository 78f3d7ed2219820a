#pragma once
#include "core/models/model.hpp"
#include "core/models/sparsification.hpp"

namespace iddl::models {

// MobileNetV2 (Sandler et al. 2018) for small images, seed 004's backbone: a 3x3 stem of 32 at
// stride 1, seven groups of inverted residual blocks (expansion t, width c, blocks n, stride s:
// (1,16,1,1) (6,24,2,1) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1); the second group at
// stride 1 for 32x32 inputs, as in kuangliu/pytorch-cifar), a 1x1 conv to 1280, average pool and
// Linear 1280→classes; BN and ReLU6 after every conv but the projections; a block adds its input
// when its stride is 1 and its width unchanged.
// Stages: stem, the seven groups, the 1x1 conv to 1280 (9 in all).
// Hidden layers (thinned by "hidden" sparsity): the expansion and projection 1x1 convs and the last
// 1x1 conv; "all" adds the stem and fc. Depthwise convs are never thinned.
StagedModel make_mobilenetv2(const InputShape& shape, LayerFactory layers);

}  // namespace iddl::models
