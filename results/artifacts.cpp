#include "results/artifacts.hpp"

namespace iddl::results {

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

}  // namespace iddl::results
