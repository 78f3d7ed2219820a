#pragma once
#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

namespace iddl::runners {

// Writes the run's events as JSON lines (docs/architecture.md, contract 3); silent on ranks other than 0.
class EventWriter {
 public:
  EventWriter(std::ostream& out, int rank) : out_(out), rank_(rank) {}

  // Writes {"event": name, ...fields} as one flushed line.
  void emit(const std::string& name, nlohmann::json fields);

 private:
  std::ostream& out_;
  int rank_;
};

}  // namespace iddl::runners
