#include "runners/launch/sweep_lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <thread>

#include <fmt/format.h>

#include "results/schema.hpp"

namespace iddl::launch {
namespace {

// The byte of the database file that stands for `sweep`: 2^62 plus a 60-bit FNV-1a hash of the name,
// far past SQLite's lock bytes (around 1 GiB) and any real file size.
off_t lock_offset(const std::string& sweep) {
  uint64_t hash = 1469598103934665603ull;
  for (const unsigned char c : sweep) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return static_cast<off_t>((uint64_t{1} << 62) + (hash >> 4));
}

// Takes (F_WRLCK) or releases (F_UNLCK) the sweep's byte as an open-file-description lock: it belongs
// to this descriptor, so SQLite closing its own descriptors of the file never drops it.
bool set_lock(int fd, const std::string& sweep, short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = lock_offset(sweep);
  lock.l_len = 1;
  return ::fcntl(fd, F_OFD_SETLK, &lock) == 0;
}

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

const char* const kHolderTable =
    "CREATE TABLE IF NOT EXISTS sweep_locks (sweep TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, "
    "since TEXT NOT NULL)";

// "pid 123 on host h since 2024-…" from sweep_locks; "" while the holder has not written its row yet
// (or the row is a dead process's of this host).
std::string holder_of(results::Database& db, const std::string& sweep) {
  db.set_busy_timeout(1000);
  results::Statement table = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sweep_locks'");
  if (!table.step()) return "";
  results::Statement select = db.prepare("SELECT pid, host, since FROM sweep_locks WHERE sweep = ?1");
  select.bind_text(1, sweep);
  if (!select.step()) return "";
  const auto pid = static_cast<pid_t>(select.column_int(0));
  const std::string host = select.column_text(1);
  if (host == host_name() && ::kill(pid, 0) != 0 && errno == ESRCH) return "";
  return fmt::format("pid {} on host {} (since {})", pid, host, select.column_text(2));
}

}  // namespace

SweepLock::SweepLock(const std::string& db_path, const std::string& sweep)
    : db_(std::make_unique<results::Database>(db_path)), sweep_(sweep) {
  const std::string file = db_->file_name();  // the file SQLite opened (links and URIs resolved); nothing read yet
  fd_ = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(fmt::format("{}: cannot open for writing: {}", file, std::strerror(errno)));
  struct stat status {};
  if (::fstat(fd_, &status) == 0 && status.st_nlink > 1) {
    release();
    throw std::runtime_error(fmt::format(
        "{} has {} hard links: SQLite names its write-ahead log after the path, so writers through two names "
        "would corrupt the database; keep one name (find the others with: find / -samefile {})",
        file, status.st_nlink, file));
  }
  if (!set_lock(fd_, sweep, F_WRLCK)) {
    const int error = errno;
    std::string holder;
    // The holder writes its row just after taking the lock: give it a moment.
    for (int attempt = 0; attempt < 20 && holder.empty() && (error == EAGAIN || error == EACCES); ++attempt) {
      holder = holder_of(*db_, sweep);
      if (holder.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    release();
    if (error != EAGAIN && error != EACCES)
      throw std::runtime_error(fmt::format("{}: cannot lock sweep '{}': {}", file, sweep, std::strerror(error)));
    throw SweepLockHeld(fmt::format("sweep '{}' is already being run on {} by {}; wait for it to end or stop it first",
                                    sweep, file, holder.empty() ? "another process" : holder));
  }
  results::configure_connection(*db_);
  db_->exec(kHolderTable);
  db_->prepare("INSERT OR REPLACE INTO sweep_locks (sweep, pid, host, since) VALUES (?1, ?2, ?3, ?4)")
      .bind_text(1, sweep)
      .bind_int(2, ::getpid())
      .bind_text(3, host_name())
      .bind_text(4, utc_now())
      .run();
}

void SweepLock::release() {
  db_.reset();  // before closing fd_: closing any descriptor of the file drops this process's POSIX locks (SQLite's)
  ::close(fd_);
  fd_ = -1;
}

SweepLock::~SweepLock() {
  try {
    db_->prepare("DELETE FROM sweep_locks WHERE sweep = ?1 AND pid = ?2").bind_text(1, sweep_).bind_int(2, ::getpid()).run();
  } catch (const std::exception&) {
    // The row only names the holder; the next holder replaces it.
  }
  release();
}

}  // namespace iddl::launch
