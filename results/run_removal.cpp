#include "results/run_removal.hpp"

#include <filesystem>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "results/artifacts.hpp"

namespace iddl::results {
namespace {

const char* const kStoredRunSelect =
    "SELECT r.id, s.name, r.run_key, r.status, (SELECT count(*) FROM epochs e WHERE e.run_id = r.id), "
    "(SELECT count(*) FROM run_metrics m WHERE m.run_id = r.id) FROM runs r JOIN sweeps s ON s.id = r.sweep_id ";

StoredRun stored_run(const Statement& row) {
  return {row.column_int(0), row.column_text(1), row.column_text(2), row.column_text(3),
          static_cast<int>(row.column_int(4)), static_cast<int>(row.column_int(5))};
}

bool sweep_exists(Database& db, const std::string& sweep) {
  Statement find = db.prepare("SELECT 1 FROM sweeps WHERE name = ?1");
  find.bind_text(1, sweep);
  return find.step();
}

}  // namespace

std::vector<StoredRun> runs_of_sweep(Database& db, const std::string& sweep) {
  if (!sweep_exists(db, sweep)) throw std::runtime_error(fmt::format("{}: no sweep named '{}'", db.path(), sweep));
  Statement select = db.prepare(std::string(kStoredRunSelect) + "WHERE s.name = ?1 ORDER BY r.id");
  select.bind_text(1, sweep);
  std::vector<StoredRun> runs;
  while (select.step()) runs.push_back(stored_run(select));
  return runs;
}

std::vector<StoredRun> runs_with_keys(Database& db, const std::vector<std::string>& keys,
                                      const std::optional<std::string>& sweep) {
  if (sweep && !sweep_exists(db, *sweep))
    throw std::runtime_error(fmt::format("{}: no sweep named '{}'", db.path(), *sweep));
  Statement select = db.prepare(std::string(kStoredRunSelect) +
                                "WHERE r.run_key = ?1 AND (?2 IS NULL OR s.name = ?2) ORDER BY r.id");
  std::vector<StoredRun> runs;
  std::set<int64_t> seen;
  for (const auto& key : keys) {
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
      throw std::runtime_error(fmt::format("{}: no run with key '{}'{}", db.path(), key,
                                           sweep ? " in sweep '" + *sweep + "'" : std::string()));
    if (found.size() > 1) {
      std::vector<std::string> sweeps;
      for (const auto& run : found) sweeps.push_back(run.sweep);
      throw std::runtime_error(fmt::format("{}: run key '{}' is in several sweeps ({}); name the sweep: "
                                           "iddl-sweep rm SWEEP --run {}",
                                           db.path(), key, fmt::join(sweeps, ", "), key));
    }
    if (seen.insert(found[0].id).second) runs.push_back(found[0]);
  }
  return runs;
}

Removal remove_runs(Database& db, const std::vector<StoredRun>& runs, const std::vector<std::string>& drop_if_emptied) {
  Removal removal;
  Transaction transaction(db);
  Statement remove = db.prepare("DELETE FROM runs WHERE id = ?1");
  std::vector<std::string> files;
  for (const auto& run : runs) {
    for (const auto& artifact : run_artifacts(db, run.id)) files.push_back(artifact.path);
    remove.reset();
    remove.bind_int(1, run.id).run();
    if (db.changes() == 0) continue;  // gone meanwhile
    ++removal.runs;
    removal.epochs += run.epochs;
    removal.metrics += run.metrics;
  }
  Statement drop = db.prepare("DELETE FROM sweeps WHERE name = ?1 AND NOT EXISTS "
                              "(SELECT 1 FROM runs WHERE runs.sweep_id = sweeps.id)");
  for (const auto& sweep : drop_if_emptied) {
    drop.reset();
    drop.bind_text(1, sweep).run();
    if (db.changes() > 0) removal.sweeps.push_back(sweep);
  }
  transaction.commit();
  // After the commit: a failed transaction leaves the files of the runs it kept.
  for (const auto& file : files) {
    std::error_code error;
    if (std::filesystem::remove_all(file, error) > 0) removal.files.push_back(file);
  }
  return removal;
}

}  // namespace iddl::results
