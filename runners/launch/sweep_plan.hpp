// A sweep's plan in the database.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>

#include "matrix/sweep_file.hpp"
#include "results/sqlite.hpp"
#include "results/store.hpp"

namespace iddl::launch {

// The sweep file as the database records it: its absolute path.
std::string recorded_file(const matrix::Sweep& sweep);

// Why the sweep file's runs must not go into the stored sweep of the same name, "" when they may: the database
// has no such sweep, or it came from this file (a relative path stored by an older release matches the end of
// the file's absolute path) and shares a run key with the file's plan (or holds no run).
std::string sweep_owner_conflict(results::Database& db, const matrix::Sweep& sweep);

// Registers the sweep's planned runs, records the sweep file as the sweep's, and marks the stored runs the file no
// longer plans as stale (kept, left out of reports), saying so in `log`; returns the sweep id. Throws, with
// sweep_owner_conflict's reason and how to proceed, before writing anything when the database holds a sweep of this
// name from another file or matrix, unless `into_existing`.
int64_t register_plan(results::Store& store, const matrix::Sweep& sweep, bool into_existing, std::ostream& log);

}  // namespace iddl::launch
