// One run in full: what `iddl-report show RUN_KEY` prints.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "results/sqlite.hpp"

namespace iddl::reports {

// Writes the run with this key (of the sweep, when given) as markdown: a heading with its key and
// sweep, its status (exit code, times, error), tags and note; then "## Config" (every setting with
// its full value), "## Metrics" (the recorded metrics and named metrics, human-readable),
// "## Epochs" (one row per stored epoch) and "## Environment" (host, BLAS, versions, GPUs).
// Throws std::invalid_argument when no run has the key, or runs of several sweeps do (without a
// sweep); nothing is written then.
void write_run(std::ostream& out, results::Database& db, const std::string& run_key,
               const std::optional<std::string>& sweep);

}  // namespace iddl::reports
