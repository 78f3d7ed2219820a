#pragma once
#include "core/models/model.hpp"
#include "core/models/sparsification.hpp"

namespace iddl::models {

// Seed 003's CIFAR AlexNet (sands-lab/layer-wise-aaai20, CIFAR10/alexnet.py, class AlexNet): 3x3 convs with
// bias and ReLU, no batch norm: 64 at stride 2 (pad 1), max pool 2; 192, max pool 2; 384, 256, 256, max pool 2;
// then dropout 0.5, Linear 256·s·s→4096, ReLU, dropout 0.5, Linear 4096→4096, ReLU, Linear 4096→classes
// (s = 2 for 32x32 inputs as in the seed, 1 for 28x28). Stages: conv1..conv5 (with their pools), fc1, fc2.
// Hidden layers (thinned by "hidden" sparsity): every conv but conv1; "all" adds the Linear layers.
// Throws std::invalid_argument for a side below 15 (the feature map would vanish).
StagedModel make_alexnet(const InputShape& shape, LayerFactory layers);

// Seed 003's VGG-16 (CIFAR10/vgg16.py, vgg16model: torchvision's configuration "D" without batch norm, 10
// classes): thirteen 3x3 convs (pad 1, bias, ReLU) in five blocks of 64·2, 128·2, 256·3, 512·3, 512·3, each
// block ending in max pool 2; adaptive average pool to 7x7; Linear 25088→4096, ReLU, dropout 0.5, Linear
// 4096→4096, ReLU, dropout 0.5, Linear 4096→classes; the seed's initialisation (convs Kaiming normal fan-out,
// Linear N(0, 0.01), biases 0). Stages: block1..block5, fc1, fc2. Hidden layers as AlexNet's.
// Throws std::invalid_argument for a side below 32 (five poolings would leave no pixel).
StagedModel make_vgg16(const InputShape& shape, LayerFactory layers);

}  // namespace iddl::models
