// The files a run keeps outside the database (docs/checkpoints.md): its checkpoint folder while it is unfinished
// and its saved final weights, listed in the artifacts table so that removing the run can remove them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "results/sqlite.hpp"

namespace iddl::results {

// Kinds of the artifacts table.
inline constexpr const char* kCheckpointsArtifact = "checkpoints";  // a folder of epoch<k>/rank<r>.pt files
inline constexpr const char* kModelArtifact = "model";              // one rank's final weights (save_model)

// One file or folder of a run.
struct Artifact {
  std::string kind;
  std::string path;
};

// Records `path` of `kind` for run `run_id` (kept once; no transaction of its own).
void add_artifact(Database& db, int64_t run_id, const std::string& kind, const std::string& path);
// Forgets the run's artifacts of `kind` (no transaction of its own).
void drop_artifacts(Database& db, int64_t run_id, const std::string& kind);
// The run's artifacts, by kind then path: what to remove from disk with the run.
std::vector<Artifact> run_artifacts(Database& db, int64_t run_id);

}  // namespace iddl::results
