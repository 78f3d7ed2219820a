#include "runners/launch/remove_command.hpp"

#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "results/run_removal.hpp"
#include "results/schema.hpp"
#include "runners/launch/sweep_lock.hpp"

namespace iddl::launch {
namespace {

std::string counts(const std::vector<results::StoredRun>& runs) {
  int epochs = 0, metrics = 0;
  for (const auto& run : runs) {
    epochs += run.epochs;
    metrics += run.metrics;
  }
  return fmt::format("{} run(s) with {} epoch row(s) and {} metric row(s)", runs.size(), epochs, metrics);
}

// Whether the person at `in` answers yes to deleting the runs.
bool confirmed(const RemoveRequest& request, std::size_t runs, std::istream& in, std::ostream& out) {
  if (request.yes || runs <= kRunsDeletedWithoutAsking) return true;
  if (!request.interactive)
    throw std::runtime_error(fmt::format("rm would delete {} runs (more than {}) and standard input is not a "
                                         "terminal to confirm it: give --yes, or --dry-run to list them",
                                         runs, kRunsDeletedWithoutAsking));
  out << fmt::format("Delete these {} runs from {}? [y/N] ", runs, request.db_path) << std::flush;
  std::string answer;
  std::getline(in, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace

int remove_stored_runs(const RemoveRequest& request, std::istream& in, std::ostream& out) {
  if (!request.sweep && request.run_keys.empty())
    throw std::invalid_argument("rm needs a sweep or --run RUN_KEY...");
  if (!std::filesystem::exists(request.db_path)) throw std::runtime_error("no database at '" + request.db_path + "'");
  results::Database db(request.db_path);
  results::configure_connection(db);
  results::migrate(db);
  const bool whole_sweep = request.run_keys.empty();
  const auto runs = whole_sweep ? results::runs_of_sweep(db, *request.sweep)
                                : results::find_runs(db, request.run_keys, request.sweep);
  for (const auto& run : runs)
    out << fmt::format("{}  {}  {}  ({} epochs, {} metrics)\n", run.sweep, run.key, run.status, run.epochs, run.metrics);
  const std::string what = counts(runs) + (whole_sweep ? fmt::format(", and sweep '{}'", *request.sweep) : "");
  if (request.dry_run) {
    out << "dry run: would delete " << what << " from " << request.db_path << "\n";
    return 0;
  }
  if (!confirmed(request, runs.size(), in, out)) {
    out << "nothing deleted\n";
    return 0;
  }
  std::set<std::string> sweeps;
  for (const auto& run : runs) sweeps.insert(run.sweep);
  if (whole_sweep) sweeps.insert(*request.sweep);
  std::vector<std::unique_ptr<SweepLock>> locks;  // no sweep of these runs is being run meanwhile
  for (const auto& sweep : sweeps) locks.push_back(std::make_unique<SweepLock>(request.db_path, sweep));
  const results::Removal removal =
      results::remove_runs(db, runs, whole_sweep ? std::vector<std::string>{*request.sweep} : std::vector<std::string>{});
  out << fmt::format("deleted {} run(s) with {} epoch row(s) and {} metric row(s){} from {}\n", removal.runs,
                     removal.epochs, removal.metrics,
                     removal.sweeps.empty() ? "" : fmt::format(", and sweep(s) {}", fmt::join(removal.sweeps, ", ")),
                     request.db_path);
  for (const auto& file : removal.files) out << "removed " << file << "\n";
  return removal.runs;
}

}  // namespace iddl::launch
