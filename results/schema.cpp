#include "results/schema.hpp"

#include <filesystem>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "matrix/run_key.hpp"
#include "results/run_rekey.hpp"

namespace iddl::results {

namespace {

constexpr int kBusyTimeoutMs = 5000;
// WAL pages between automatic checkpoints (~40 MB of 4 KiB pages): with synchronous=NORMAL the
// only fsyncs are at checkpoints, so this sets how many epoch events share one.
constexpr int kWalPagesPerCheckpoint = 10000;
// Attempts, 50 ms apart, at switching a new file to WAL while another process holds it.
constexpr int kWalSwitchAttempts = 200;

const char* const kVersion1 = R"sql(
CREATE TABLE sweeps (
  id INTEGER PRIMARY KEY,
  name TEXT UNIQUE NOT NULL,
  file TEXT,
  created_at TEXT NOT NULL
);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  run_key TEXT NOT NULL,
  repeat INTEGER NOT NULL,
  config TEXT NOT NULL,
  dataset TEXT,
  model TEXT,
  sparsification TEXT,
  vertical TEXT,
  horizontal TEXT,
  compression TEXT,
  parallelism TEXT,
  ranks INTEGER,
  seed INTEGER,
  epochs INTEGER,
  batch_size INTEGER,
  lr REAL,
  status TEXT NOT NULL
    CHECK (status IN ('pending', 'running', 'done', 'failed', 'timeout', 'interrupted')),
  exit_code INTEGER,
  error TEXT,
  stderr_tail TEXT,
  host TEXT,
  device TEXT,
  threads INTEGER,
  blas_library TEXT,
  blas_kernel TEXT,
  torch_version TEXT,
  mpi_version TEXT,
  started_at TEXT,
  finished_at TEXT,
  train_loss REAL,
  test_loss REAL,
  test_accuracy REAL,
  train_time_s REAL,
  inference_time_s REAL,
  latency_ms REAL,
  params INTEGER,
  flops INTEGER,
  bytes_sent INTEGER,
  bytes_received INTEGER,
  comm_time_s REAL,
  bandwidth_Bps REAL,
  UNIQUE (sweep_id, run_key)
);

CREATE TABLE epochs (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  train_loss REAL,
  test_loss REAL,
  test_accuracy REAL,
  epoch_time_s REAL,
  bytes_sent INTEGER,
  bytes_received INTEGER,
  comm_time_s REAL,
  bandwidth_Bps REAL,
  PRIMARY KEY (run_id, epoch)
);

CREATE INDEX runs_by_status ON runs(status);
CREATE INDEX runs_by_sweep_status ON runs(sweep_id, status);
CREATE INDEX runs_by_model_dataset ON runs(model, dataset);
)sql";

// Version 2: the reproducibility facts of run_started; downpour's mean staleness; indexes for the per-sweep reads; epochs
// rebuilt WITHOUT ROWID (one B-tree keyed by (run_id, epoch) instead of a table plus its key
// index: half the pages written per epoch event). docs/results-schema.md justifies each.
const char* const kVersion2 = R"sql(
ALTER TABLE runs ADD COLUMN iddl_commit TEXT;
ALTER TABLE runs ADD COLUMN compiler TEXT;
ALTER TABLE runs ADD COLUMN cpu_model TEXT;
ALTER TABLE runs ADD COLUMN cpu_cores INTEGER;
ALTER TABLE runs ADD COLUMN staleness_mean REAL;

CREATE INDEX runs_by_sweep ON runs(sweep_id);
CREATE INDEX runs_by_sweep_started ON runs(sweep_id, started_at);
CREATE INDEX runs_by_sweep_finished ON runs(sweep_id, finished_at);

CREATE TABLE epochs_v2 (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  train_loss REAL,
  test_loss REAL,
  test_accuracy REAL,
  epoch_time_s REAL,
  bytes_sent INTEGER,
  bytes_received INTEGER,
  comm_time_s REAL,
  bandwidth_Bps REAL,
  PRIMARY KEY (run_id, epoch)
) WITHOUT ROWID;
INSERT INTO epochs_v2 (run_id, epoch, train_loss, test_loss, test_accuracy, epoch_time_s, bytes_sent,
                       bytes_received, comm_time_s, bandwidth_Bps)
  SELECT run_id, epoch, train_loss, test_loss, test_accuracy, epoch_time_s, bytes_sent, bytes_received,
         comm_time_s, bandwidth_Bps
  FROM epochs;
DROP TABLE epochs;
ALTER TABLE epochs_v2 RENAME TO epochs;
)sql";

// Version 3: the compression ratio of the gradient exchange (wire bytes over dense bytes; NULL
// without compression); run_metrics, one row per named metric of a run_finished event: a
// key-value table because the set of structure metrics (per member, per exit) varies by run.
const char* const kVersion3 = R"sql(
ALTER TABLE runs ADD COLUMN compression_ratio REAL;

CREATE TABLE run_metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
)sql";

// Version 4: the machine a run executed on, from its run_started event, so that reports can
// group by it: CPU sockets and memory; the GPUs the run saw (their names, count, smallest memory),
// the driver and the CUDA version it supports, their interconnect matrix; the NCCL version.
const char* const kVersion4 = R"sql(
ALTER TABLE runs ADD COLUMN cpu_sockets INTEGER;
ALTER TABLE runs ADD COLUMN memory_bytes INTEGER;
ALTER TABLE runs ADD COLUMN gpu_name TEXT;
ALTER TABLE runs ADD COLUMN gpu_count INTEGER;
ALTER TABLE runs ADD COLUMN gpu_memory_bytes INTEGER;
ALTER TABLE runs ADD COLUMN gpu_driver TEXT;
ALTER TABLE runs ADD COLUMN cuda_version TEXT;
ALTER TABLE runs ADD COLUMN gpu_topology TEXT;
ALTER TABLE runs ADD COLUMN nccl_version TEXT;
)sql";

// Version 5: stable run keys and each sweep's current plan. iddl_meta holds facts about the database
// itself: 'run_key_version' is the matrix::kRunKeyVersion its run keys were made with (1 for every run
// stored before version 5; results/run_rekey.cpp brings them to the current version). runs.in_plan says
// whether the sweep file, as last run, plans the run: 0 marks a stale run, kept but left out of reports.
const char* const kVersion5 = R"sql(
CREATE TABLE iddl_meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO iddl_meta (name, value) VALUES ('run_key_version', '1');
ALTER TABLE runs ADD COLUMN in_plan INTEGER NOT NULL DEFAULT 1 CHECK (in_plan IN (0, 1));
)sql";

// Version 6: tags and notes a researcher gives runs (iddl-sweep tag / note; results/run_labels.hpp):
// any number of tags per run, one note per run; both go with their run (ON DELETE CASCADE, and a
// trigger for connections that do not enable foreign keys, such as the sqlite3 shell's).
const char* const kVersion6 = R"sql(
CREATE TABLE run_tags (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  tag TEXT NOT NULL CHECK (tag <> ''),
  PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX run_tags_by_tag ON run_tags(tag);

CREATE TABLE run_notes (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  note TEXT NOT NULL,
  noted_at TEXT NOT NULL
);

CREATE TRIGGER run_labels_go_with_their_run AFTER DELETE ON runs BEGIN
  DELETE FROM run_tags WHERE run_id = OLD.id;
  DELETE FROM run_notes WHERE run_id = OLD.id;
END;
)sql";

// Version 7 (checkpoints, docs/checkpoints.md): runs.resumed_from_epoch, the epoch of the checkpoint a run's
// last attempt resumed from (NULL when it started afresh), and the files a run keeps outside the database: its
// checkpoint folder while it is unfinished, its saved final weights (save_model), removed with the run.
const char* const kVersion7 = R"sql(
ALTER TABLE runs ADD COLUMN resumed_from_epoch INTEGER;
CREATE TABLE artifacts (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('checkpoints', 'model')),
  path TEXT NOT NULL,
  PRIMARY KEY (run_id, kind, path)
) WITHOUT ROWID;

CREATE TRIGGER artifacts_go_with_their_run AFTER DELETE ON runs BEGIN
  DELETE FROM artifacts WHERE run_id = OLD.id;
END;
)sql";

// Version 8 (iddl-sweep rm): deleting a run deletes its dependent rows even on a connection without
// PRAGMA foreign_keys = ON (the sqlite3 shell's default), and deleting a sweep deletes its runs. A table added
// later that references runs(id) adds its DELETE to runs_delete_dependents (the tables of versions 6 and 7
// have triggers of their own).
const char* const kVersion8 = R"sql(
CREATE TRIGGER runs_delete_dependents AFTER DELETE ON runs
BEGIN
  DELETE FROM epochs WHERE run_id = OLD.id;
  DELETE FROM run_metrics WHERE run_id = OLD.id;
END;
CREATE TRIGGER sweeps_delete_runs AFTER DELETE ON sweeps
BEGIN
  DELETE FROM runs WHERE sweep_id = OLD.id;
END;
)sql";

// Version 9 (issue 18, overlapped communication): comm_time_s counts the seconds communication kept rank 0
// waiting; comm_total_time_s the seconds from each communication's start to its completion (equal for blocking
// calls, more when it overlapped computation).
const char* const kVersion9 = R"sql(
ALTER TABLE runs ADD COLUMN comm_total_time_s REAL;
ALTER TABLE epochs ADD COLUMN comm_total_time_s REAL;
)sql";

void use_wal(Database& db) {
  // Switching a new file to WAL needs it to itself: when another process has it open at that moment
  // SQLite answers "database is locked" at once, without waiting; the switch either happened or did
  // nothing, so it is tried again.
  std::string mode;
  for (int attempt = 1; mode.empty(); ++attempt) {
    try {
      Statement pragma = db.prepare("PRAGMA journal_mode = WAL");
      mode = pragma.step() ? pragma.column_text(0) : "?";
    } catch (const SqliteError& error) {
      if (attempt == kWalSwitchAttempts || error.sqlite_message() != "database is locked") throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (mode != "wal") {
    throw std::runtime_error(db.path() + ": cannot switch to WAL journal mode (journal mode is '" + mode + "')");
  }
}

// The file behind the connection's main database ("" for an in-memory or temporary one).
std::string main_file(Database& db) {
  Statement list = db.prepare("PRAGMA database_list");
  while (list.step())
    if (list.column_text(1) == "main") return list.column_text(2);
  return "";
}

// Throws, naming the file, when a database at version 0 already holds IDDL's tables (its user_version
// was reset, or another program made them): migration 1 would fail on them.
void refuse_unversioned_tables(Database& db) {
  // One statement, so one snapshot: another writer may be committing migration 1 meanwhile.
  Statement tables = db.prepare(
      "SELECT user_version, (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('sweeps', 'runs')) "
      "FROM pragma_user_version");
  if (tables.step() && tables.column_int(0) == 0 && tables.column_int(1) > 0) {
    throw std::runtime_error(db.path() +
                             ": holds tables named like IDDL's (sweeps, runs) but its schema version "
                             "(PRAGMA user_version) is 0: not a database IDDL wrote, or its version was reset; "
                             "give another --db");
  }
}

}  // namespace

bool needs_upgrade(Database& db) {
  const int version = schema_version(db);
  return version >= 1 && (version < kSchemaVersion || stored_run_key_version(db) < matrix::kRunKeyVersion);
}

std::string backup_copy(Database& db) {
  const std::string file = main_file(db);
  if (file.empty()) return "";
  const std::string stem = file + ".schema-v" + std::to_string(schema_version(db)) + ".bak";
  std::string backup = stem;
  for (int n = 2; std::filesystem::exists(backup); ++n) backup = stem + "." + std::to_string(n);
  Statement vacuum = db.prepare("VACUUM INTO ?1");
  vacuum.bind_text(1, backup).run();
  return backup;
}

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> scripts = {kVersion1, kVersion2, kVersion3, kVersion4,
                                                     kVersion5, kVersion6, kVersion7, kVersion8,
                                                     kVersion9};
  return scripts;
}

void configure_connection(Database& db) {
  db.set_busy_timeout(kBusyTimeoutMs);  // first: the pragmas below may wait for another connection's lock
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA synchronous = NORMAL");  // with WAL: durable across process crashes, not power loss
  db.exec("PRAGMA wal_autocheckpoint = " + std::to_string(kWalPagesPerCheckpoint));
}

int schema_version(Database& db) {
  Statement pragma = db.prepare("PRAGMA user_version");
  pragma.step();
  return static_cast<int>(pragma.column_int(0));
}

void refuse_newer_schema(Database& db) {
  const int version = schema_version(db);
  if (version > kSchemaVersion) {
    throw std::runtime_error(db.path() + ": schema version " + std::to_string(version) +
                             " is newer than this build knows (" + std::to_string(kSchemaVersion) +
                             "); use a newer IDDL");
  }
}

void migrate(Database& db) {
  refuse_newer_schema(db);
  refuse_unversioned_tables(db);
  use_wal(db);
  if (needs_upgrade(db)) backup_copy(db);
  const auto& scripts = migrations();
  for (size_t i = 0; i < scripts.size(); ++i) {
    const int target = static_cast<int>(i) + 1;
    Transaction transaction(db);
    const int version = schema_version(db);  // re-read under the write lock: another writer may have migrated
    if (version > target - 1) continue;
    db.exec(scripts[i]);
    db.exec("PRAGMA user_version = " + std::to_string(target));
    transaction.commit();
  }
  refuse_newer_schema(db);  // another writer may have moved the file past this build meanwhile
  rekey_runs(db);
}

void require_current_schema(Database& db) {
  refuse_newer_schema(db);
  const int version = schema_version(db);
  if (version != kSchemaVersion) {
    throw std::runtime_error(db.path() + ": schema version " + std::to_string(version) + " is not " +
                             std::to_string(kSchemaVersion) +
                             (version == 0 ? " (not an IDDL results database)"
                                           : " (open it with iddl-sweep once to migrate it)"));
  }
}

namespace {

// Upgrades the database at path (which exists) through a writable connection; the error names the file.
void upgrade_in_place(const std::string& path, int version) {
  try {
    Database db(path);
    configure_connection(db);
    migrate(db);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": schema version " + std::to_string(version) + " (or its run keys) needs an " +
                             "upgrade to version " + std::to_string(kSchemaVersion) + " before it can be read, " +
                             "and the upgrade failed: " + e.what());
  }
}

}  // namespace

Database open_for_reading(const std::string& path) {
  int version = 0;
  {
    Database db(path, Database::Mode::ReadOnly);
    configure_connection(db);
    refuse_newer_schema(db);
    if (!needs_upgrade(db)) {
      require_current_schema(db);
      return db;
    }
    version = schema_version(db);
  }
  upgrade_in_place(path, version);
  Database db(path, Database::Mode::ReadOnly);
  configure_connection(db);
  require_current_schema(db);
  return db;
}

}  // namespace iddl::results
