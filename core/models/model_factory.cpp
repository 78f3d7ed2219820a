#include <stdexcept>

#include "core/models/mlp_lenet.hpp"
#include "core/models/model.hpp"
#include "core/models/resnets.hpp"

namespace iddl::models {

Model make_model(const ModelOptions& options, const InputShape& shape) {
  if (options.name == "mlp") return make_mlp(options.hidden, shape, options.sparsity);
  if (options.name == "lenet") return make_lenet(shape, options.sparsity);
  if (options.name == "resnet9") return make_resnet9(shape, options.sparsity);
  if (options.name == "resnet18") return make_resnet18(shape, options.sparsity);
  throw std::invalid_argument("unknown model '" + options.name + "' (known: mlp, lenet, resnet9, resnet18)");
}

}  // namespace iddl::models
