#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>

#include "core/comm/communicator.hpp"
#include "core/horizontal/early_exit_model.hpp"
#include "core/models/model.hpp"
#include "core/vertical/adaboost_model.hpp"
#include "core/vertical/ensemble_model.hpp"
#include "core/vertical/partition_model.hpp"

namespace iddl::runners {

// The model a run trains, assembled from its config: the network (sparsification; its width cut to
// this rank's part by the vertical axis), wrapped by the vertical and horizontal axes, with the run's loss.
struct AssembledModel {
  models::Model model;
  vertical::PartitionModelImpl* partition = nullptr;     // set for vertical = "partition"
  vertical::EnsembleModelImpl* ensemble = nullptr;       // set for vertical = "ensemble"
  std::shared_ptr<vertical::AdaBoostModelImpl> adaboost;  // set for vertical = "adaboost" (the same as model)
  horizontal::EarlyExitModelImpl* early_exit = nullptr;  // set for horizontal = "early_exit"
};

// Builds this rank's model of the run (torch seeded from the run seed, and the rank for a vertical
// split) from its resolved config.
AssembledModel assemble_model(const nlohmann::json& config, const models::InputShape& shape, comm::Communicator& comm);

// Trainable parameters and inference FLOPs per sample of the whole model over all ranks (a
// collective call: every rank calls it).
struct ModelSize {
  int64_t params = 0;
  int64_t flops = 0;
};
ModelSize measure_model(const AssembledModel& assembled, const models::InputShape& shape, comm::Communicator& comm);

}  // namespace iddl::runners
