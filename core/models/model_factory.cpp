#include <stdexcept>
#include <utility>

#include "core/models/mlp_lenet.hpp"
#include "core/models/mobilenetv2.hpp"
#include "core/models/model.hpp"
#include "core/models/resnets.hpp"

namespace iddl::models {

StagedModel make_model(const ModelOptions& options, const InputShape& shape) {
  LayerFactory layers(options.sparsity, options.part);
  if (options.name == "mlp") return make_mlp(options.hidden, shape, std::move(layers));
  if (options.name == "lenet") return make_lenet(shape, std::move(layers));
  if (options.name == "resnet9") return make_resnet9(shape, std::move(layers));
  if (options.name == "resnet18") return make_resnet18(shape, std::move(layers));
  if (options.name == "mobilenetv2") return make_mobilenetv2(shape, std::move(layers));
  throw std::invalid_argument("unknown model '" + options.name + "' (known: mlp, lenet, resnet9, resnet18, mobilenetv2)");
}

}  // namespace iddl::models
