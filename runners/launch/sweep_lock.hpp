#pragma once
#include <memory>
#include <stdexcept>
#include <string>

#include "results/sqlite.hpp"

namespace iddl::launch {

// Another process holds the lock of the sweep; what() names it (pid, host, since when).
class SweepLockHeld : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An exclusive lock on one sweep of one database file, held while this process runs it, whatever path
// names the file (a symlink, a hard link, a relative path, a "file:" URI): an open-file-description
// lock on one byte of the database file itself, at an offset given by the sweep's name, far past the
// bytes SQLite locks. The kernel drops it when the process dies, so runs left 'running' by a lock
// holder that is gone are stale. The holder's pid, host and start are kept in the table sweep_locks
// for the message a second process gets.
class SweepLock {
 public:
  // Opens (or creates) the database at db_path and takes the sweep's lock; throws SweepLockHeld when
  // another process holds it, std::runtime_error when the file cannot be opened for writing or has
  // more than one hard link (SQLite's write-ahead log goes by the path: two names would corrupt it).
  SweepLock(const std::string& db_path, const std::string& sweep);
  ~SweepLock();
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;

 private:
  void release();  // closes the connection, then the descriptor (and so the lock)

  std::unique_ptr<results::Database> db_;  // closed before the lock's descriptor (see the destructor)
  std::string sweep_;
  int fd_ = -1;
};

}  // namespace iddl::launch
