#include "runners/launch/sweep_plan.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/schema.hpp"
#include "results/sweep_origin.hpp"

namespace iddl::launch {
namespace {

std::vector<results::PlannedRunRow> planned_rows(const matrix::Sweep& sweep) {
  std::vector<results::PlannedRunRow> rows;
  for (const auto& run : sweep.runs) rows.push_back({run.key, run.repeat, run.config});
  return rows;
}

// Whether the stored sweep file `stored` names the file at the absolute path `file`.
bool same_file(const std::string& stored, const std::filesystem::path& file) {
  const std::filesystem::path path = std::filesystem::path(stored).lexically_normal();
  if (path.is_absolute()) {
    std::error_code error;
    return path == file || std::filesystem::equivalent(path, file, error);
  }
  // A relative path (older releases stored the path as given): the same file when it is the end of `file`.
  auto from_end = file.end();
  for (auto part = path.end(); part != path.begin();) {
    --part;
    if (from_end == file.begin()) return false;
    --from_end;
    if (*part != *from_end) return false;
  }
  return true;
}

}  // namespace

std::string recorded_file(const matrix::Sweep& sweep) {
  return std::filesystem::absolute(sweep.file).lexically_normal().string();
}

std::string sweep_owner_conflict(results::Database& db, const matrix::Sweep& sweep) {
  const auto origin = results::sweep_origin(db, sweep.name);
  if (!origin) return "";
  const std::string file = recorded_file(sweep);
  if (!origin->file.empty() && !same_file(origin->file, file))
    return fmt::format("sweep '{}' in {} was run from {}, and {} names the same sweep", sweep.name, db.path(),
                       origin->file, sweep.file);
  if (origin->run_keys.empty()) return "";
  for (const auto& run : sweep.runs)
    if (origin->run_keys.count(run.key) > 0) return "";
  return fmt::format("sweep '{}' in {} holds {} run(s), none of them among the {} run(s) {} plans: a different "
                     "matrix under the same sweep name",
                     sweep.name, db.path(), origin->run_keys.size(), sweep.runs.size(), sweep.file);
}

int64_t register_plan(results::Store& store, const matrix::Sweep& sweep, bool into_existing, std::ostream& log) {
  const std::string file = recorded_file(sweep);
  {
    results::Database db(store.path());
    results::configure_connection(db);
    const std::string conflict = sweep_owner_conflict(db, sweep);
    if (!conflict.empty() && !into_existing)
      throw std::runtime_error(fmt::format("{}; give {} another [sweep] name, or --into-existing to add its runs to "
                                           "sweep '{}' (its stored runs the file does not plan are kept as stale)",
                                           conflict, sweep.file, sweep.name));
  }
  const int64_t sweep_id = store.register_sweep(sweep.name, file, planned_rows(sweep));
  {
    results::Database db(store.path());
    results::configure_connection(db);
    results::set_sweep_file(db, sweep.name, file);
  }
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
