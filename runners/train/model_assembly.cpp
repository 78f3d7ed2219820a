#include "runners/train/model_assembly.hpp"

#include <stdexcept>

#include "matrix/axis_value.hpp"
#include "runners/train/run_spec.hpp"

namespace iddl::runners {
namespace {

horizontal::EarlyExitOptions early_exit_options(const nlohmann::json& horizontal) {
  horizontal::EarlyExitOptions o;
  o.exits = horizontal.at("exits").get<std::vector<int64_t>>();
  o.branch_weight = horizontal.at("branch_weight").get<double>();
  o.threshold = horizontal.at("threshold").get<double>();
  return o;
}

}  // namespace

AssembledModel assemble_model(const nlohmann::json& config, const models::InputShape& shape, comm::Communicator& comm) {
  const nlohmann::json& vertical = config.at("vertical");
  const nlohmann::json& horizontal = config.at("horizontal");
  const std::string split = matrix::axis_method(vertical), exits = matrix::axis_method(horizontal);
  if (split != "none" && split != "partition" && split != "ensemble")
    throw std::invalid_argument("unknown vertical '" + split + "' (known: none, partition, ensemble)");
  if (exits != "none" && exits != "early_exit")
    throw std::invalid_argument("unknown horizontal '" + exits + "' (known: none, early_exit)");
  if (split != "none" && exits != "none")
    throw std::invalid_argument("horizontal '" + exits + "' cannot be combined with vertical '" + split + "'");

  models::ModelOptions options = model_options(config);
  const uint64_t seed = config.at("seed").get<uint64_t>();
  if (split != "none") options.part = {comm.rank(), comm.size(), split == "ensemble" || comm.rank() == 0};
  torch::manual_seed(seed + (split == "none" ? 0 : 1000003ULL * static_cast<uint64_t>(comm.rank())));
  models::StagedModel network = models::make_model(options, shape);

  AssembledModel out;
  if (split == "partition") {
    auto partition = std::make_shared<vertical::PartitionModelImpl>(network, comm);
    out.partition = partition.get();
    out.model = partition;
  } else if (split == "ensemble") {
    torch::manual_seed(seed);  // the same combiner on every rank
    auto ensemble = std::make_shared<vertical::EnsembleModelImpl>(
        network, comm, vertical.at("combine").get<std::string>(), shape.classes);
    out.ensemble = ensemble.get();
    out.model = ensemble;
  } else if (exits == "early_exit") {
    auto early = std::make_shared<horizontal::EarlyExitModelImpl>(network, early_exit_options(horizontal), shape);
    out.early_exit = early.get();
    out.model = early;
  } else {
    out.model = network;
  }
  return out;
}

ModelSize measure_model(const AssembledModel& assembled, const models::InputShape& shape, comm::Communicator& comm) {
  if (!assembled.model->collective())
    return {models::count_parameters(*assembled.model),
            assembled.early_exit ? assembled.early_exit->baseline_flops()
                                 : models::count_flops(*assembled.model, shape)};
  // a vertical model: every rank holds its own part (or member); rank 0 adds the shared combiner once
  models::StagedModelImpl& own = assembled.ensemble ? assembled.ensemble->member() : assembled.partition->part();
  int64_t params = models::count_parameters(own), flops = models::count_flops(own, shape);
  if (assembled.ensemble && comm.rank() == 0) {
    params += assembled.ensemble->combiner_parameters();
    flops += assembled.ensemble->combiner_flops();
  }
  torch::Tensor totals = torch::tensor({params, flops}, torch::kInt64);
  comm.allreduce_sum(totals, comm::Traffic::Bookkeeping);
  return {totals[0].item<int64_t>(), totals[1].item<int64_t>()};
}

}  // namespace iddl::runners
