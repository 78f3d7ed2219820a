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

// Removes the folders left empty once an artifact is gone from disk: a model file's run folder, the sweep's folder
// (`<root>/<sweep>`), then the root when it is the one next to the database at db_path (`<db>.checkpoints`,
// `<db>.models`; a `--checkpoint-dir` root stays). A folder holding anything is left as it is.
void remove_emptied_folders(const Artifact& gone, const std::string& db_path);

}  // namespace iddl::results
