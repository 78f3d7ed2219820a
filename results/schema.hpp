// The results database schema: its version (PRAGMA user_version) and the migrations that build it.
#pragma once

#include <string>
#include <vector>

#include "results/sqlite.hpp"

namespace iddl::results {

// The schema version this build writes and reads.
constexpr int kSchemaVersion = 9;

// The SQL scripts of the schema: element N-1 brings a database from version N-1 to N.
const std::vector<std::string>& migrations();

// Sets what every IDDL connection uses: foreign_keys=ON, synchronous=NORMAL, a checkpoint every
// 10000 WAL pages and a 5000 ms busy timeout.
void configure_connection(Database& db);

// The database's PRAGMA user_version (0 for a new, empty file).
int schema_version(Database& db);

// Throws, naming the file, when the database's schema is newer than this build knows.
void refuse_newer_schema(Database& db);

// Whether an existing database needs an upgrade: an older schema, or run keys of an older key version.
bool needs_upgrade(Database& db);

// Copies the database (a consistent snapshot, VACUUM INTO) to "<file>.schema-v<N>.bak" (".2", ".3", …
// when taken) and returns that path; "" for an in-memory database.
std::string backup_copy(Database& db);

// Makes a writable database current: refuses a newer schema, switches to WAL mode, takes a backup copy
// before upgrading an existing database, applies each missing migration in its own transaction and
// re-keys the stored runs when their run-key version is older (rekey_runs).
void migrate(Database& db);

// Throws, naming the file, unless a read-only database has exactly the current schema.
void require_current_schema(Database& db);

// Opens the results database at path for reading: read-only (a missing file is an error, never
// created), connection configured, current schema required; an older database is first upgraded in
// place through a writable connection (an error naming the file when it cannot be written).
Database open_for_reading(const std::string& path);

}  // namespace iddl::results
