#include "runners/launch/sweep_plan.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace iddl::launch {
namespace {

std::vector<results::PlannedRunRow> planned_rows(const matrix::Sweep& sweep) {
  std::vector<results::PlannedRunRow> rows;
  for (const auto& run : sweep.runs) rows.push_back({run.key, run.repeat, run.config});
  return rows;
}

}  // namespace

int64_t register_plan(results::Store& store, const matrix::Sweep& sweep, std::ostream& log) {
  const int64_t sweep_id = store.register_sweep(sweep.name, sweep.file, planned_rows(sweep));
  std::vector<std::string> keys;
  for (const auto& run : sweep.runs) keys.push_back(run.key);
  if (const int stale = store.mark_plan(sweep_id, keys))
    log << fmt::format("sweep {}: {} stored run(s) that {} no longer plans are kept as stale (reports leave them "
                       "out unless given --stale)",
                       sweep.name, stale, sweep.file)
        << std::endl;
  return sweep_id;
}

}  // namespace iddl::launch
