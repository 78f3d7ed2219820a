// Stored runs under the current run-key format: when matrix::kRunKeyVersion goes up, every stored run's
// key is recomputed from its stored config, so that re-running the same sweep file finds its runs.
#pragma once

#include "results/sqlite.hpp"

namespace iddl::results {

// The run-key version the database's stored keys were made with (iddl_meta 'run_key_version'; 1 before
// schema version 5).
int stored_run_key_version(Database& db);

// Re-keys every stored run with matrix::run_key of its stored config when the stored run-key version is
// older than matrix::kRunKeyVersion, and records the new version, in one transaction; returns the runs
// whose key changed. Two runs of one sweep that meet on one key keep it for the one to trust (done, then
// the latest finished, then the first stored); the others keep their rows under "<key>-superseded-<id>".
int rekey_runs(Database& db);

}  // namespace iddl::results
