#include "results/run_removal.hpp"

#include <filesystem>

#include "results/artifacts.hpp"

namespace iddl::results {

Removal remove_runs(Database& db, const std::vector<StoredRun>& runs, const std::vector<std::string>& drop_if_emptied) {
  Removal removal;
  Transaction transaction(db);
  Statement remove = db.prepare("DELETE FROM runs WHERE id = ?1");
  std::vector<Artifact> files;
  for (const auto& run : runs) {
    for (const auto& artifact : run_artifacts(db, run.id)) files.push_back(artifact);
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
    if (std::filesystem::remove_all(file.path, error) > 0) removal.files.push_back(file.path);
    remove_emptied_folders(file, db.path());
  }
  return removal;
}

}  // namespace iddl::results
