#include "results/run_keys.hpp"

#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace iddl::results {
namespace {

const char* const kStoredRunSelect =
    "SELECT r.id, s.name, r.run_key, r.status, (SELECT count(*) FROM epochs e WHERE e.run_id = r.id), "
    "(SELECT count(*) FROM run_metrics m WHERE m.run_id = r.id) FROM runs r JOIN sweeps s ON s.id = r.sweep_id ";

StoredRun stored_run(const Statement& row) {
  return {row.column_int(0), row.column_text(1), row.column_text(2), row.column_text(3),
          static_cast<int>(row.column_int(4)), static_cast<int>(row.column_int(5))};
}

void require_sweep(Database& db, const std::string& sweep) {
  Statement known = db.prepare("SELECT 1 FROM sweeps WHERE name = ?1");
  known.bind_text(1, sweep);
  if (!known.step()) throw std::invalid_argument(fmt::format("{}: no sweep named '{}'", db.path(), sweep));
}

}  // namespace

std::vector<StoredRun> find_runs(Database& db, const std::vector<std::string>& keys,
                                 const std::optional<std::string>& sweep) {
  if (sweep) require_sweep(db, *sweep);
  Statement select = db.prepare(std::string(kStoredRunSelect) +
                                "WHERE r.run_key = ?1 AND (?2 IS NULL OR s.name = ?2) ORDER BY r.id");
  std::vector<StoredRun> runs;
  std::set<int64_t> seen;
  for (const std::string& key : keys) {
    select.reset();
    select.bind_text(1, key);
    if (sweep) {
      select.bind_text(2, *sweep);
    } else {
      select.bind_null(2);
    }
    std::vector<StoredRun> found;
    while (select.step()) found.push_back(stored_run(select));
    if (found.empty())
      throw std::invalid_argument(fmt::format("{}: no run with run key '{}'{} (iddl-sweep plan FILE lists the run keys)",
                                              db.path(), key, sweep ? " in sweep '" + *sweep + "'" : std::string()));
    if (found.size() > 1) {
      std::vector<std::string> sweeps;
      for (const auto& run : found) sweeps.push_back(run.sweep);
      throw std::invalid_argument(fmt::format("{}: run key '{}' is in several sweeps ({}): give --sweep NAME",
                                              db.path(), key, fmt::join(sweeps, ", ")));
    }
    if (seen.insert(found.front().id).second) runs.push_back(found.front());
  }
  return runs;
}

std::vector<StoredRun> runs_of_sweep(Database& db, const std::string& sweep) {
  require_sweep(db, sweep);
  Statement select = db.prepare(std::string(kStoredRunSelect) + "WHERE s.name = ?1 ORDER BY r.id");
  select.bind_text(1, sweep);
  std::vector<StoredRun> runs;
  while (select.step()) runs.push_back(stored_run(select));
  return runs;
}

std::vector<int64_t> ids_of(const std::vector<StoredRun>& runs) {
  std::vector<int64_t> ids;
  for (const auto& run : runs) ids.push_back(run.id);
  return ids;
}

}  // namespace iddl::results
