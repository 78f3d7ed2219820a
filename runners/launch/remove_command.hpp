// `iddl-sweep rm`: deleting a sweep, or some runs, with their epochs and metrics.
#pragma once
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace iddl::launch {

// What `iddl-sweep rm` is asked to delete.
struct RemoveRequest {
  std::string db_path;
  std::optional<std::string> sweep;  // the sweep (every run, and then the sweep) or, with run_keys, where they are
  std::vector<std::string> run_keys;  // --run: these runs only
  bool dry_run = false;               // list what would go, delete nothing
  bool yes = false;                   // no confirmation
  bool interactive = false;           // `in` is a terminal a person can answer
};

// Runs deleted without asking; more ask for a confirmation (or --yes).
inline constexpr std::size_t kRunsDeletedWithoutAsking = 10;

// Lists the runs the request names, then (unless a dry run) deletes them in one transaction while holding their
// sweeps' locks, asking on `in` first when more than kRunsDeletedWithoutAsking go; returns the number deleted.
// Throws naming the database, sweep or key that is not there, when a run would need confirming and `in` is not a
// terminal, and SweepLockHeld when one of the sweeps is being run.
int remove_stored_runs(const RemoveRequest& request, std::istream& in, std::ostream& out);

}  // namespace iddl::launch
