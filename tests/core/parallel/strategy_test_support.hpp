#pragma once
// Data, options and weight checks shared by the MPI strategy tests.
#include "core/comm/communicator.hpp"
#include "core/data/dataset.hpp"
#include "core/models/model.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/train/train_options.hpp"
#include "tests/support/same_on_every_rank.hpp"

namespace iddl::testing {

// `train` training and `test` test samples of the synthetic dataset.
inline data::Dataset synthetic_data(int64_t train, int64_t test) {
  data::DataOptions options;
  options.name = "synthetic";
  options.train_samples = train;
  options.test_samples = test;
  return data::load_dataset(options);
}

// Plain SGD (no momentum, no weight decay) with batch 16 per rank.
inline train::TrainOptions plain_sgd(int64_t epochs) {
  train::TrainOptions options;
  options.epochs = epochs;
  options.batch_size = 16;
  options.lr = 0.05;
  options.momentum = 0.0;
  return options;
}

// A small MLP for 28x28 inputs, initialized from `seed`.
inline models::Model small_mlp(uint64_t seed) {
  torch::manual_seed(seed);
  return models::make_model({"mlp", {48, 24}}, {1, 28, 28, 10});
}

// Whether every rank holds rank 0's weights (the same answer on every rank).
inline bool all_ranks_equal(models::Model& model, comm::Communicator& comm) {
  return same_on_every_rank(train::flatten_values(model->parameters()), comm);
}

}  // namespace iddl::testing
