#include "results/merge.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <tuple>

#include "results/artifacts.hpp"
#include "results/run_status.hpp"
#include "results/schema.hpp"
#include "results/sqlite.hpp"

namespace iddl::results {
namespace {

namespace fs = std::filesystem;

// A copy of the database at path in a fresh temporary file, migrated to the current schema; removed
// when destroyed.
class MigratedCopy {
 public:
  explicit MigratedCopy(const std::string& path) {
    if (!fs::exists(path)) throw std::runtime_error(path + ": no such database to merge");
    std::string pattern = (fs::temp_directory_path() / "iddl-merge-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temporary folder " + pattern);
    folder_ = pattern;
    file_ = (fs::path(folder_) / "other.db").string();
    try {
      copy_and_migrate(path);
    } catch (...) {
      std::error_code ignored;
      fs::remove_all(folder_, ignored);
      throw;
    }
  }
  ~MigratedCopy() {
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
  }
  MigratedCopy(const MigratedCopy&) = delete;
  MigratedCopy& operator=(const MigratedCopy&) = delete;
  const std::string& file() const { return file_; }

 private:
  // Copies the database at path (a consistent snapshot) into file_ and migrates the copy.
  void copy_and_migrate(const std::string& path) {
    {
      Database source(path, Database::Mode::ReadOnly);
      source.set_busy_timeout(5000);
      refuse_newer_schema(source);
      if (schema_version(source) == 0)
        throw std::runtime_error(path + ": not an IDDL results database (schema version 0)");
      Statement vacuum = source.prepare("VACUUM INTO ?1");
      vacuum.bind_text(1, file_).run();
    }
    Database copy(file_);
    configure_connection(copy);
    migrate(copy);
  }

  std::string folder_, file_;
};

// The runs table's columns but id and sweep_id, comma-separated.
std::string run_columns(Database& db) {
  Statement select = db.prepare("SELECT name FROM pragma_table_info('runs') WHERE name NOT IN ('id', 'sweep_id') ORDER BY cid");
  std::vector<std::string> columns;
  while (select.step()) columns.push_back(select.column_text(0));
  return fmt::format("{}", fmt::join(columns, ", "));
}

// The rank of a stored result for choosing between two copies of one run: done first, then the later finished.
std::tuple<bool, std::string> rank(const std::string& status, const std::string& finished_at) {
  return {status == to_string(RunStatus::Done), finished_at};
}

// Copies the epochs and named metrics of run other_id of the attached database to run id, and adds its artifacts
// (paths as they are: the files are not copied).
void copy_run_children(Database& db, int64_t id, int64_t other_id) {
  for (const char* table : {"epochs", "run_metrics"}) {
    Statement clear = db.prepare(std::string("DELETE FROM main.") + table + " WHERE run_id = ?1");
    clear.bind_int(1, id).run();
  }
  Statement epochs = db.prepare(
      "INSERT INTO main.epochs SELECT ?1, epoch, train_loss, test_loss, test_accuracy, epoch_time_s, bytes_sent, "
      "bytes_received, comm_time_s, bandwidth_Bps, comm_total_time_s FROM other.epochs WHERE run_id = ?2");
  epochs.bind_int(1, id).bind_int(2, other_id).run();
  Statement metrics =
      db.prepare("INSERT INTO main.run_metrics SELECT ?1, name, value FROM other.run_metrics WHERE run_id = ?2");
  metrics.bind_int(1, id).bind_int(2, other_id).run();
  Statement artifacts = db.prepare("INSERT INTO main.artifacts (run_id, kind, path) SELECT ?1, kind, path "
                                   "FROM other.artifacts WHERE run_id = ?2 ON CONFLICT DO NOTHING");
  artifacts.bind_int(1, id).bind_int(2, other_id).run();
}

}  // namespace

MergeOutcome merge_database(const std::string& db_path, const std::string& other_path,
                            const std::optional<std::string>& sweep) {
  if (fs::exists(db_path) && fs::exists(other_path) && fs::equivalent(db_path, other_path))
    throw std::runtime_error(other_path + " is the database itself (" + db_path + "); nothing to merge");
  const MigratedCopy other(other_path);
  Database db(db_path);
  configure_connection(db);
  migrate(db);
  {
    Statement attach = db.prepare("ATTACH DATABASE ?1 AS other");
    attach.bind_text(1, other.file()).run();
  }
  MergeOutcome outcome;
  {
    Transaction transaction(db);
    if (sweep) {
      Statement known = db.prepare("SELECT 1 FROM other.sweeps WHERE name = ?1");
      known.bind_text(1, *sweep);
      if (!known.step()) throw std::runtime_error(other_path + ": no sweep named '" + *sweep + "'");
    }
    Statement add_sweeps = db.prepare(
        "INSERT INTO main.sweeps (name, file, created_at) SELECT name, file, created_at FROM other.sweeps "
        "WHERE (?1 IS NULL OR name = ?1) AND name NOT IN (SELECT name FROM main.sweeps) ORDER BY id");
    if (sweep) add_sweeps.bind_text(1, *sweep); else add_sweeps.bind_null(1);
    add_sweeps.run();
    outcome.sweeps_added = db.changes();

    const std::string columns = run_columns(db);
    Statement pairs = db.prepare(
        "SELECT o.id, os.name, o.run_key, o.status, COALESCE(o.finished_at, ''), ms.id, m.id, m.status, "
        "COALESCE(m.finished_at, '') FROM other.runs o JOIN other.sweeps os ON os.id = o.sweep_id "
        "JOIN main.sweeps ms ON ms.name = os.name "
        "LEFT JOIN main.runs m ON m.sweep_id = ms.id AND m.run_key = o.run_key "
        "WHERE ?1 IS NULL OR os.name = ?1 ORDER BY o.id");
    if (sweep) pairs.bind_text(1, *sweep); else pairs.bind_null(1);
    Statement insert = db.prepare("INSERT INTO main.runs (sweep_id, " + columns + ") SELECT ?1, " + columns +
                                  " FROM other.runs WHERE id = ?2");
    Statement remove = db.prepare("DELETE FROM main.runs WHERE id = ?1");
    Statement reinsert = db.prepare("INSERT INTO main.runs (id, sweep_id, " + columns + ") SELECT ?1, ?2, " +
                                    columns + " FROM other.runs WHERE id = ?3");
    while (pairs.step()) {
      const int64_t other_id = pairs.column_int(0), sweep_id = pairs.column_int(5);
      const std::string name = pairs.column_text(1) + "/" + pairs.column_text(2);
      if (pairs.column_is_null(6)) {
        insert.reset();
        insert.bind_int(1, sweep_id).bind_int(2, other_id).run();
        Statement added = db.prepare("SELECT last_insert_rowid()");
        added.step();
        copy_run_children(db, added.column_int(0), other_id);
        ++outcome.runs_added;
        continue;
      }
      const int64_t id = pairs.column_int(6);
      const auto theirs = rank(pairs.column_text(3), pairs.column_text(4));
      const auto ours = rank(pairs.column_text(7), pairs.column_text(8));
      const std::string states = pairs.column_text(7) + " " + pairs.column_text(8) + " here, " +
                                 pairs.column_text(3) + " " + pairs.column_text(4) + " in " + other_path;
      if (theirs > ours) {
        const std::vector<Artifact> files = run_artifacts(db, id);  // still on disk: still listed, so rm removes them
        remove.reset();
        remove.bind_int(1, id).run();  // its epochs and metrics go with it (ON DELETE CASCADE)
        reinsert.reset();
        reinsert.bind_int(1, id).bind_int(2, sweep_id).bind_int(3, other_id).run();
        copy_run_children(db, id, other_id);
        for (const auto& file : files) add_artifact(db, id, file.kind, file.path);
        outcome.replaced.push_back(name + ": " + states);
      } else if (std::get<0>(theirs) && theirs != ours) {
        outcome.kept.push_back(name + ": " + states);  // two done results: this database's is the later one
      } else {
        ++outcome.runs_unchanged;
      }
    }
    transaction.commit();
  }
  db.exec("DETACH DATABASE other");
  return outcome;
}

}  // namespace iddl::results
