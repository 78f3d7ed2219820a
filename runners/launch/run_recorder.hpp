#pragma once
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "results/store.hpp"

namespace iddl::launch {

// Stores the events one run prints (one JSON object per line) as they arrive.
class RunRecorder {
 public:
  // `on_event` is told of every stored event (e.g. to show progress).
  RunRecorder(results::Store& store, int64_t run_id, std::function<void(const nlohmann::json&)> on_event);

  // Handles one line of the run's stdout; lines that are not JSON events are kept as output.
  void on_line(const std::string& line);

  bool finished() const { return finished_; }
  // The run's own error message, if it reported one.
  const std::string& error() const { return error_; }
  // Stdout lines that were not events (e.g. warnings of the MPI launcher).
  const std::string& other_output() const { return other_output_; }

 private:
  results::Store& store_;
  int64_t run_id_;
  std::function<void(const nlohmann::json&)> on_event_;
  bool finished_ = false;
  std::string error_;
  std::string other_output_;
};

}  // namespace iddl::launch
