#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "results/store.hpp"

namespace iddl::launch {

// Stores the events one run prints (one JSON object per line) as they arrive.
class RunRecorder {
 public:
  // `on_event` is told of every stored event (e.g. to show progress) until one is refused.
  RunRecorder(results::Store& store, int64_t run_id, std::function<void(const nlohmann::json&)> on_event);

  // Handles one line of the run's stdout; lines that are not JSON objects with an "event" string (or nest
  // deeper than matrix::kMaxJsonDepth) are kept as output. An event the store refuses (a field of the wrong type) is
  // not stored and fails the run with the store's reason; only a database that cannot be written throws
  // (results::SqliteError).
  void on_line(const std::string& line);

  // Whether run_finished was stored and no event was refused.
  bool finished() const { return finished_ && !refused_; }
  // The run's own error message (its last error event), else why the store refused an event.
  const std::string& error() const { return error_; }
  // Stdout lines that were not events (e.g. warnings of the MPI launcher).
  const std::string& other_output() const { return other_output_; }

 private:
  results::Store& store_;
  int64_t run_id_;
  std::function<void(const nlohmann::json&)> on_event_;
  bool finished_ = false;
  bool refused_ = false;
  std::string error_;
  std::string other_output_;
};

}  // namespace iddl::launch
