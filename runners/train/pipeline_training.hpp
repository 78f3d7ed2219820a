#pragma once
#include <nlohmann/json.hpp>

#include "core/comm/communicator.hpp"
#include "core/pipeline/pipeline_trainer.hpp"
#include "runners/train/event_writer.hpp"
#include "runners/train/run_spec.hpp"
#include "runners/train/run_training.hpp"

namespace iddl::runners {

// The pipeline trainer's settings from a `parallelism = {method = "pipeline", ...}` value and the
// run's optimizer settings (sortquant's split_bits 0 becoming max(1, bits / 4), seed 004's 3:1).
pipeline::PipelineOptions pipeline_options(const nlohmann::json& parallelism, const train::TrainOptions& options);

// Trains a run whose parallelism is "pipeline" (docs/pipeline.md) on this rank and emits its events as
// run_training does; returns its exit code. Rank r is stage r % K of pipeline r / K (K = stages).
int run_pipeline_training(const RunSpec& spec, const RunEnvironment& environment, comm::Communicator& comm,
                          EventWriter& events);

}  // namespace iddl::runners
