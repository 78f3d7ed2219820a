// Merging one results database into another: sweeps, runs, epochs, named metrics and the runs' artifact rows, in one
// transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace iddl::results {

// What a merge did, run by run.
struct MergeOutcome {
  int sweeps_added = 0;
  int runs_added = 0;                  // runs this database did not have
  int runs_unchanged = 0;              // present here with a result at least as trusted
  std::vector<std::string> replaced;   // "sweep/run_key: states", the other database's result taken
  std::vector<std::string> kept;       // "sweep/run_key: states", both done, this database's later one kept
};

// Brings the sweeps, runs, epochs, named metrics and artifact rows of the database at other_path (every sweep, or
// only `sweep`) into the database at db_path (created when missing), in one transaction. A run is the same run
// when its sweep name and run key match. A run present in both keeps the result to trust: a done run over
// any other, then the later finished; the other database's result replaces this one's only when it is
// strictly better (the run then lists both databases' artifacts), so merging twice adds nothing. Artifact paths
// are copied as they are; the files they name are neither copied nor moved. The other database is read from a migrated temporary
// copy (never changed); an older schema or run-key version is upgraded in that copy first.
MergeOutcome merge_database(const std::string& db_path, const std::string& other_path,
                            const std::optional<std::string>& sweep);

}  // namespace iddl::results
