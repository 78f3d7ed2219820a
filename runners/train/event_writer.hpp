#pragma once
#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

#include "results/fields.hpp"

namespace iddl::runners {

// Writes the run's events as JSON lines (docs/architecture.md, contract 3); silent on ranks other than 0.
class EventWriter {
 public:
  EventWriter(std::ostream& out, int rank) : out_(out), rank_(rank) {}

  // Writes {"event": <its name>, ...fields} as one flushed line; the fields are named by
  // results::field (results/fields.hpp).
  void emit(results::Event event, nlohmann::json fields);

 private:
  std::ostream& out_;
  int rank_;
};

}  // namespace iddl::runners
