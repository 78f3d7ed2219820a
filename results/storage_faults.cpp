#include "results/storage_faults.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace iddl::results {

namespace {

// The file a database path names: the path itself, or the file of a "file:" URI ("file:/a/b.db?mode=rwc",
// "file:///a/b.db", "file://localhost/a/b.db"), its query and fragment left out.
std::string file_of(const std::string& path) {
  if (path.rfind("file:", 0) != 0) return path;
  std::string file = path.substr(5);
  file = file.substr(0, file.find_first_of("?#"));
  if (file.rfind("//localhost/", 0) == 0) return file.substr(11);
  if (file.rfind("///", 0) == 0) return file.substr(2);
  return file;
}

}  // namespace

void require_writable_database(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path file(file_of(path));
  const fs::path folder = file.has_parent_path() ? file.parent_path() : fs::path(".");
  const auto refuse = [&](const std::string& why) {
    throw std::runtime_error(path + ": cannot write the results database: " + why);
  };
  std::error_code error;
  if (!fs::is_directory(folder, error)) refuse("its folder '" + folder.string() + "' does not exist");
  if (fs::exists(file, error) && ::access(file.c_str(), W_OK) != 0) {
    refuse(errno == EROFS ? "it is on a read-only file system" : std::string("the file is not writable: ") + std::strerror(errno));
  }
  if (::access(folder.c_str(), W_OK) != 0) {
    refuse(errno == EROFS ? "it is on a read-only file system"
                          : "its folder '" + folder.string() + "' is not writable (SQLite keeps its -wal and -shm "
                            "files there): " + std::strerror(errno));
  }
}

std::string storage_failure_message(const std::string& path, const SqliteError& error) {
  return path + ": the results database failed: " + error.sqlite_message() +
         "; the sweep stopped. What was stored before is kept; runs in flight were stopped, and the next "
         "`iddl-sweep run` of the sweep marks them interrupted and runs them again";
}

}  // namespace iddl::results
