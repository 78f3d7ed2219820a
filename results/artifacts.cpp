#include "results/artifacts.hpp"

#include <filesystem>

namespace iddl::results {
namespace {

namespace fs = std::filesystem;

// Removes `folder` when it is a folder (not a link to one) and empty; whether it did.
bool remove_if_empty(const fs::path& folder) {
  std::error_code error;
  return fs::is_directory(fs::symlink_status(folder, error)) && fs::remove(folder, error);  // rmdir: only when empty
}

}  // namespace

void add_artifact(Database& db, int64_t run_id, const std::string& kind, const std::string& path) {
  Statement insert = db.prepare("INSERT INTO artifacts (run_id, kind, path) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");
  insert.bind_int(1, run_id).bind_text(2, kind).bind_text(3, path).run();
}

void drop_artifacts(Database& db, int64_t run_id, const std::string& kind) {
  Statement remove = db.prepare("DELETE FROM artifacts WHERE run_id = ?1 AND kind = ?2");
  remove.bind_int(1, run_id).bind_text(2, kind).run();
}

std::vector<Artifact> run_artifacts(Database& db, int64_t run_id) {
  Statement select = db.prepare("SELECT kind, path FROM artifacts WHERE run_id = ?1 ORDER BY kind, path");
  select.bind_int(1, run_id);
  std::vector<Artifact> found;
  while (select.step()) found.push_back({select.column_text(0), select.column_text(1)});
  return found;
}

void remove_emptied_folders(const Artifact& gone, const std::string& db_path) {
  fs::path sweep_folder = fs::path(gone.path).lexically_normal().parent_path();
  if (gone.kind == kModelArtifact) {  // <root>/<sweep>/<run key>/rank<r>.pt
    remove_if_empty(sweep_folder);
    sweep_folder = sweep_folder.parent_path();
  }
  if (!remove_if_empty(sweep_folder)) return;
  const std::string suffix = gone.kind == kModelArtifact ? ".models" : ".checkpoints";
  std::error_code error;
  const fs::path own_root = fs::absolute(db_path + suffix, error).lexically_normal();
  if (!error && sweep_folder.parent_path() == own_root) remove_if_empty(own_root);
}

}  // namespace iddl::results
