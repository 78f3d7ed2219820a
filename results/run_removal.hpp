// Deleting stored runs (iddl-sweep rm): finding them by sweep or run key, and removing them with their epochs and
// metrics in one transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "results/sqlite.hpp"

namespace iddl::results {

// A stored run as rm lists it.
struct StoredRun {
  int64_t id;
  std::string sweep;
  std::string key;
  std::string status;
  int epochs;   // its epochs rows
  int metrics;  // its run_metrics rows
};

// Every run of the sweep, in stored order; throws naming the sweep and the database when there is no such sweep.
std::vector<StoredRun> runs_of_sweep(Database& db, const std::string& sweep);

// The runs with these run keys, of `sweep` when given, else of any sweep; throws naming a key that matches no run,
// or one that matches runs of several sweeps (naming them) when no sweep is given.
std::vector<StoredRun> runs_with_keys(Database& db, const std::vector<std::string>& keys,
                                      const std::optional<std::string>& sweep);

// What remove_runs deleted.
struct Removal {
  int runs = 0;
  int epochs = 0;
  int metrics = 0;
  std::vector<std::string> sweeps;  // sweep rows deleted (their last run went)
  std::vector<std::string> files;   // the runs' artifacts (checkpoint folders, saved weights) removed from disk
};

// Deletes the runs, their epochs and metrics (and rows of any table referencing them), then each sweep of
// `drop_if_emptied` left without a run, in one transaction; after it commits, removes the runs' artifact files.
Removal remove_runs(Database& db, const std::vector<StoredRun>& runs, const std::vector<std::string>& drop_if_emptied);

}  // namespace iddl::results
