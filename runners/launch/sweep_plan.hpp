// A sweep's plan in the database.
#pragma once
#include <cstdint>
#include <ostream>

#include "matrix/sweep_file.hpp"
#include "results/store.hpp"

namespace iddl::launch {

// Registers the sweep's planned runs and marks the stored runs the file no longer plans as stale (kept, left out
// of reports), saying so in `log`; returns the sweep id.
int64_t register_plan(results::Store& store, const matrix::Sweep& sweep, std::ostream& log);

}  // namespace iddl::launch
