// Which sweep file a stored sweep came from, and its run keys: what `iddl-sweep run` checks before adding a file's
// runs to a sweep of the same name.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "results/sqlite.hpp"

namespace iddl::results {

// A stored sweep's file (as registered; "" when none) and the keys of its runs.
struct SweepOrigin {
  std::string file;
  std::set<std::string> run_keys;
};

// The origin of the named sweep; none when the database has no such sweep.
std::optional<SweepOrigin> sweep_origin(Database& db, const std::string& sweep);

// Records `file` as the sweep file the named sweep was last run from.
void set_sweep_file(Database& db, const std::string& sweep, const std::string& file);

}  // namespace iddl::results
