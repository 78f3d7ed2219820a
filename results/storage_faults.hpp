// How a writer tells the user that the results database cannot be written: a read-only file or folder before
// anything starts, a full disk (or another storage error) while runs are being recorded.
#pragma once

#include <string>

#include "results/sqlite.hpp"

namespace iddl::results {

// Throws std::runtime_error naming the file when a writer could not use the database at `path` (a file name or a
// "file:" URI): its folder is missing or not writable (SQLite keeps its -wal and -shm files next to it), or the
// file exists and is not writable (a read-only file system, or permissions).
void require_writable_database(const std::string& path);

// The message for an SQLite error that stopped a sweep on `path` (e.g. "database or disk is full"): names the
// file and SQLite's reason, and says what became of what was stored and of the runs in flight.
std::string storage_failure_message(const std::string& path, const SqliteError& error);

}  // namespace iddl::results
