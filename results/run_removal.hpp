// Deleting stored runs (iddl-sweep rm; results/run_keys.hpp finds them) with their epochs and metrics in one
// transaction, then their files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "results/run_keys.hpp"
#include "results/sqlite.hpp"

namespace iddl::results {

// What remove_runs deleted.
struct Removal {
  int runs = 0;
  int epochs = 0;
  int metrics = 0;
  std::vector<std::string> sweeps;  // sweep rows deleted (their last run went)
  std::vector<std::string> files;   // the runs' artifacts (checkpoint folders, saved weights) removed from disk
};

// Deletes the runs, their epochs and metrics (and rows of any table referencing them), then each sweep of
// `drop_if_emptied` left without a run, in one transaction; after it commits, removes the runs' artifact files and the
// folders they leave empty (remove_emptied_folders).
Removal remove_runs(Database& db, const std::vector<StoredRun>& runs, const std::vector<std::string>& drop_if_emptied);

}  // namespace iddl::results
