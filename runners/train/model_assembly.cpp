#include "runners/train/model_assembly.hpp"

#include <optional>

#include "runners/train/run_spec.hpp"

namespace iddl::runners {

AssembledModel assemble_model(const nlohmann::json& config, const models::InputShape& shape, comm::Communicator& comm) {
  const vertical::VerticalOptions split = vertical_options(config);
  const std::optional<horizontal::EarlyExitOptions> exits = early_exit_options(config);
  const bool by_width = split.method != "none" && split.method != "adaboost";  // no early exits with it

  models::ModelOptions options = model_options(config);
  const uint64_t seed = config.at("seed").get<uint64_t>();
  if (by_width) options.part = {comm.rank(), comm.size(), split.method == "ensemble" || comm.rank() == 0};
  torch::manual_seed(seed + (by_width ? 1000003ULL * static_cast<uint64_t>(comm.rank()) : 0));
  models::StagedModel network = models::make_model(options, shape);

  AssembledModel out;
  if (split.method == "adaboost") {  // whole networks on one rank, member k from seed + 1000003 k
    std::vector<models::StagedModel> members{network};
    for (int64_t k = 1; k < split.members; ++k) {
      torch::manual_seed(seed + 1000003ULL * static_cast<uint64_t>(k));
      members.push_back(models::make_model(options, shape));
    }
    out.adaboost = std::make_shared<vertical::AdaBoostModelImpl>(members, shape.classes);
    out.model = out.adaboost;
  } else if (split.method == "partition") {
    auto partition = std::make_shared<vertical::PartitionModelImpl>(network, comm);
    out.partition = partition.get();
    out.model = partition;
  } else if (split.method == "ensemble") {
    torch::manual_seed(seed);  // the same combiner on every rank
    auto ensemble = std::make_shared<vertical::EnsembleModelImpl>(network, comm, split.combine, shape.classes,
                                                                  split.training);
    out.ensemble = ensemble.get();
    out.model = ensemble;
  } else if (exits) {
    auto early = std::make_shared<horizontal::EarlyExitModelImpl>(network, *exits, shape);
    out.early_exit = early.get();
    out.model = early;
  } else {
    out.model = network;
  }
  out.model->set_loss(training_loss(config));
  return out;
}

ModelSize measure_model(const AssembledModel& assembled, const models::InputShape& shape, comm::Communicator& comm) {
  if (assembled.adaboost)  // every member votes: all their parameters, each one's forward pass
    return {models::count_parameters(*assembled.adaboost),
            assembled.adaboost->members() * models::count_flops(assembled.adaboost->member(0), shape)};
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
