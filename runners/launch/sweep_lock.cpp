#include "runners/launch/sweep_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace iddl::launch {

SweepLock::SweepLock(const std::string& db_path, const std::string& sweep) {
  const std::string path = db_path + "." + sweep + ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open lock file '" + path + "': " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    throw std::runtime_error("sweep '" + sweep + "' is already being run on " + db_path + " by another process (lock " +
                             path + ")");
  }
}

SweepLock::~SweepLock() { ::close(fd_); }

}  // namespace iddl::launch
