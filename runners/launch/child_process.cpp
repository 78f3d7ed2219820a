#include "runners/launch/child_process.hpp"

#include <boost/filesystem.hpp>
#include <boost/process.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bp = boost::process;
namespace fs = boost::filesystem;

namespace iddl::launch {
namespace {

fs::path executable(const std::string& name) {
  if (name.find('/') != std::string::npos) return fs::path(name);
  fs::path found = bp::search_path(name);
  if (found.empty()) throw std::runtime_error("cannot find '" + name + "' on PATH");
  return found;
}

std::string file_tail(const fs::path& path, size_t bytes) {
  std::ifstream in(path.string(), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() <= bytes ? all : all.substr(all.size() - bytes);
}

// Removes a file when the scope ends.
struct TemporaryFile {
  fs::path path = fs::temp_directory_path() / fs::unique_path("iddl-stderr-%%%%-%%%%-%%%%.log");
  ~TemporaryFile() {
    boost::system::error_code ignored;
    fs::remove(path, ignored);
  }
};

}  // namespace

ChildResult run_child(const std::vector<std::string>& argv, const std::function<void(const std::string&)>& on_line,
                      size_t tail_bytes) {
  if (argv.empty()) throw std::invalid_argument("run_child: empty argument vector");
  const fs::path exe = executable(argv[0]);
  const std::vector<std::string> args(argv.begin() + 1, argv.end());
  TemporaryFile stderr_file;
  bp::ipstream out;
  std::error_code start_error;
  bp::child child(exe, bp::args(args), bp::std_out > out, bp::std_err > stderr_file.path, bp::std_in < bp::null,
                  start_error);
  if (start_error) throw std::runtime_error("cannot start '" + exe.string() + "': " + start_error.message());
  std::string line;
  while (std::getline(out, line)) on_line(line);
  child.wait();
  ChildResult result;
  const int native = child.native_exit_code();
  result.exit_code = WIFSIGNALED(native) ? 128 + WTERMSIG(native) : child.exit_code();
  result.stderr_tail = file_tail(stderr_file.path, tail_bytes);
  return result;
}

}  // namespace iddl::launch
