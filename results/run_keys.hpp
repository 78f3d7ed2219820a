// Run keys and sweep names a user typed (iddl-sweep tag, untag, note, rm; iddl-report show) turned into the stored
// runs they name, with one message for a key that names no run or runs of several sweeps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/sqlite.hpp"

namespace iddl::results {

// A stored run as the commands that take run keys list it.
struct StoredRun {
  int64_t id;
  std::string sweep;
  std::string key;
  std::string status;
  int epochs;   // its epochs rows
  int metrics;  // its run_metrics rows
};

// The runs with these run keys (whole keys), of `sweep` when given, else of any sweep, in the keys' order, each once.
// Throws std::invalid_argument naming the database and a sweep given that it does not hold, a key no run has, or a
// key runs of several sweeps have when no sweep is given (listing those sweeps).
std::vector<StoredRun> find_runs(Database& db, const std::vector<std::string>& keys,
                                 const std::optional<std::string>& sweep);

// Every run of the sweep, in stored order; throws std::invalid_argument naming the database when it has no such sweep.
std::vector<StoredRun> runs_of_sweep(Database& db, const std::string& sweep);

// The ids of the runs, in their order.
std::vector<int64_t> ids_of(const std::vector<StoredRun>& runs);

}  // namespace iddl::results
