#pragma once
#include <string>

namespace iddl::launch {

// An exclusive lock on one sweep of one database, held while this process runs it; the kernel
// drops it when the process dies, so runs left 'running' by a lock holder that is gone are stale.
class SweepLock {
 public:
  // Takes the lock file `<db_path>.<sweep>.lock`; throws std::runtime_error when another process holds it.
  SweepLock(const std::string& db_path, const std::string& sweep);
  ~SweepLock();
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace iddl::launch
