#include "core/models/model_registry.hpp"

#include <utility>

#include "core/models/alexnet_vgg.hpp"
#include "core/models/mlp_lenet.hpp"
#include "core/models/mobilenetv2.hpp"
#include "core/models/resnets.hpp"
#include "core/registry_row.hpp"

namespace iddl::models {
namespace {

StagedModel mlp(const ModelOptions& o, const InputShape& shape, LayerFactory layers) {
  return make_mlp(o.hidden, o.activation, shape, std::move(layers));
}

StagedModel lenet(const ModelOptions&, const InputShape& shape, LayerFactory layers) {
  return make_lenet(shape, std::move(layers));
}

StagedModel resnet9(const ModelOptions&, const InputShape& shape, LayerFactory layers) {
  return make_resnet9(shape, std::move(layers));
}

StagedModel resnet18(const ModelOptions&, const InputShape& shape, LayerFactory layers) {
  return make_resnet18(shape, std::move(layers));
}

StagedModel mobilenetv2(const ModelOptions&, const InputShape& shape, LayerFactory layers) {
  return make_mobilenetv2(shape, std::move(layers));
}

StagedModel alexnet(const ModelOptions&, const InputShape& shape, LayerFactory layers) {
  return make_alexnet(shape, std::move(layers));
}

StagedModel vgg16(const ModelOptions&, const InputShape& shape, LayerFactory layers) {
  return make_vgg16(shape, std::move(layers));
}

}  // namespace

const std::vector<ModelMethod>& model_registry() {
  static const std::vector<ModelMethod> rows = {
      {"mlp", mlp}, {"lenet", lenet}, {"resnet9", resnet9}, {"resnet18", resnet18}, {"mobilenetv2", mobilenetv2},
      {"alexnet", alexnet}, {"vgg16", vgg16},
  };
  return rows;
}

const ModelMethod& model_method(std::string_view name) {
  return registry_row(model_registry(), name, "the model registry");
}

}  // namespace iddl::models
