// `iddl-sweep run --only RUN_KEY… --where EXPR`: the planned runs an invocation is restricted to.
#pragma once
#include <optional>
#include <set>
#include <string>

#include "matrix/sweep_file.hpp"
#include "runners/launch/sweep_options.hpp"

namespace iddl::launch {

// The keys of the planned runs matching `where`, an SQL expression over the runs table's columns judged as
// iddl-report --where judges stored runs (in a scratch database holding the plan, read-only; the caller checks the
// expression with reports::check_where_expression); throws std::invalid_argument quoting one SQLite refuses.
std::set<std::string> runs_where(const matrix::Sweep& sweep, const std::string& where);

// The run keys options.only and options.where restrict the invocation to (both when both are given); none when
// neither is given. Throws std::invalid_argument naming a key the sweep does not plan or a filter matching no run.
std::optional<std::set<std::string>> restricted_keys(const matrix::Sweep& sweep, const SweepOptions& options);

}  // namespace iddl::launch
