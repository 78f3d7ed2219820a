// A small results database written through the real store: sweep "demo" with two seeds of a
// sync run, one single run, one failed run and one pending run; sweep "other" with one done run.
// Configs hold the axes as objects, as the matrix resolves them; done runs have two epochs.
// write_early_exit_db: a database with a compression ratio and named metrics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "results/store.hpp"

namespace iddl::test_support {

inline nlohmann::json axis(const std::string& method) { return {{"method", method}}; }

inline nlohmann::json demo_config(const std::string& parallelism, int ranks, int seed, double lr = 0.05) {
  return {{"dataset", "fashion-mnist"},      {"model", "mlp"},        {"sparsification", axis("none")},
          {"vertical", axis("none")},        {"horizontal", axis("none")}, {"compression", axis("none")},
          {"parallelism", axis(parallelism)}, {"ranks", ranks},         {"seed", seed},
          {"epochs", 2},                     {"batch_size", 64},      {"lr", lr}};
}

inline nlohmann::json finished(double train_time_s, double accuracy, int64_t bytes_sent,
                               std::optional<double> bandwidth) {
  nlohmann::json event = {{"train_time_s", train_time_s}, {"test_accuracy", accuracy},
                          {"bytes_sent", bytes_sent},     {"params", 101770},
                          {"flops", 557890000}};
  if (bandwidth) event["bandwidth_Bps"] = *bandwidth;
  return event;
}

// Runs a run to done: started, epoch 1 (accuracy 0.1 below the final one, train loss 1.0), epoch 2
// (the final accuracy, train loss 0.5), finished.
inline void run_to_done(results::Store& store, int64_t run_id, const nlohmann::json& finished_event) {
  store.mark_running(run_id);
  store.record_started(run_id, {{"host", "node-1"},
                                {"blas_library", "openblas"},
                                {"blas_kernel", "Haswell"},
                                {"torch_version", "2.1.0"}});
  const double accuracy = finished_event.value("test_accuracy", 0.0);
  store.record_epoch(run_id, {{"epoch", 1}, {"test_accuracy", accuracy - 0.1}, {"train_loss", 1.0}});
  store.record_epoch(run_id, {{"epoch", 2}, {"test_accuracy", accuracy}, {"train_loss", 0.5}});
  store.record_finished(run_id, finished_event);
}

// Writes the sample database at path.
inline void write_sample_db(const std::string& path) {
  results::Store store(path);
  const int64_t demo = store.register_sweep("demo", "sweeps/demo.toml",
                                            {{"sync-1", 0, demo_config("sync", 2, 1)},
                                             {"sync-2", 1, demo_config("sync", 2, 2)},
                                             {"single-1", 0, demo_config("single", 1, 1)},
                                             {"fast-1", 0, demo_config("sync", 2, 1, 0.5)},
                                             {"later-1", 0, demo_config("sync", 4, 1)}});
  const auto runs = store.runs_of(demo);
  run_to_done(store, runs[0].id, finished(100, 0.80, 1048576, 1.5e6));
  run_to_done(store, runs[1].id, finished(110, 0.90, 1048576, 2.5e6));
  run_to_done(store, runs[2].id, finished(12.34, 0.75, 0, std::nullopt));
  store.mark_running(runs[3].id);
  store.record_failure(runs[3].id, results::RunStatus::Failed, 1, "loss | diverged\nat epoch 1", "nan");

  const int64_t other = store.register_sweep("other", "", {{"only-1", 0, demo_config("single", 1, 7)}});
  run_to_done(store, store.runs_of(other).front().id, finished(1.5, 0.5, 0, std::nullopt));
}

// Sweep "ee": two seeds of an early-exit run that recorded a compression ratio and named metrics,
// and one plain run without either.
inline void write_early_exit_db(const std::string& path) {
  results::Store store(path);
  nlohmann::json early_exit = demo_config("sync", 2, 1);
  early_exit["horizontal"] = {{"method", "early_exit"}};
  nlohmann::json early_exit_2 = early_exit;
  early_exit_2["seed"] = 2;
  const int64_t sweep = store.register_sweep("ee", "", {{"ee-1", 0, early_exit},
                                                        {"ee-2", 1, early_exit_2},
                                                        {"plain-1", 0, demo_config("sync", 2, 1)}});
  const auto runs = store.runs_of(sweep);
  nlohmann::json first = finished(100, 0.80, 1048576, 1.5e6);
  first["compression_ratio"] = 0.0123;
  first["metrics"] = {{"exit_accuracy.1", 0.70},          {"exit_accuracy.2", 0.75},
                      {"exit_accuracy.10", 0.80},         {"exit_fraction.1", 0.62},
                      {"exit_flops.1", 88000},            {"mean_inference_flops", 91000},
                      {"baseline_inference_time_s", 0.21}, {"speedup", 1.04}};
  nlohmann::json second = finished(110, 0.90, 1048576, 2.5e6);
  second["compression_ratio"] = 0.0125;
  second["metrics"] = {{"exit_accuracy.1", 0.72}, {"exit_fraction.1", 0.58}};
  run_to_done(store, runs[0].id, first);
  run_to_done(store, runs[1].id, second);
  run_to_done(store, runs[2].id, finished(90, 0.85, 1048576, 2e6));
}

}  // namespace iddl::test_support
