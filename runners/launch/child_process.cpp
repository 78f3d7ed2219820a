#include "runners/launch/child_process.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/filesystem.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "hardware/program_output.hpp"
#include "runners/launch/process_tree.hpp"
#include "runners/train/launcher_watch.hpp"

namespace bp = boost::process;
namespace fs = boost::filesystem;

namespace iddl::launch {
namespace {

constexpr size_t kStderrTailBytes = 4000;

// Puts the child in a process group of its own, so that it can be stopped as a whole, and has it get
// SIGTERM when this process dies (even by SIGKILL): mpirun then stops its ranks, so nothing trains for
// an orchestrator that is gone. The signal is tied to the thread that forks; AsyncChild is created
// on the thread running the io_context, which lives as long as the children it reads.
struct NewProcessGroup : bp::extend::handler {
  pid_t parent = ::getpid();
  template <typename Executor>
  void on_exec_setup(Executor&) const {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the parent died before the line above
  }
};

// This process and its host, named in the child's environment: iddl-train stops as soon as they are gone
// (runners/train/launcher_watch.hpp), which mpirun's own stopping of its ranks takes over a second to do.
bp::environment child_environment() {
  bp::environment environment = boost::this_process::environment();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  environment[runners::kLauncherPidVariable] = std::to_string(::getpid());
  environment[runners::kLauncherHostVariable] = std::string(host);
  return environment;
}

fs::path executable(const std::string& name) {
  const auto found = hardware::find_program(name);
  if (!found) throw std::runtime_error("cannot find '" + name + "' on PATH");
  return *found;
}

std::string file_tail(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() <= bytes ? all : all.substr(all.size() - bytes);
}

}  // namespace

AsyncChild::AsyncChild(boost::asio::io_context& io, const std::vector<std::string>& argv,
                       std::function<void(const std::string&)> on_line, std::function<void(const ChildResult&)> on_exit)
    : out_(io), kill_timer_(io), linger_timer_(io), on_line_(std::move(on_line)), on_exit_(std::move(on_exit)) {
  if (argv.empty()) throw std::invalid_argument("AsyncChild: empty argument vector");
  const fs::path exe = executable(argv[0]);
  stderr_path_ = (fs::temp_directory_path() / fs::unique_path("iddl-stderr-%%%%-%%%%-%%%%.log")).string();
  std::error_code start_error;
  start_ = std::chrono::steady_clock::now();
  bp::child child(exe, bp::args(std::vector<std::string>(argv.begin() + 1, argv.end())), bp::std_out > out_,
                  bp::std_err > stderr_path_, bp::std_in < bp::null, child_environment(), NewProcessGroup{}, start_error);
  if (start_error) throw std::runtime_error("cannot start '" + exe.string() + "': " + start_error.message());
  pid_ = child.id();
  child.detach();  // reaped by poll_exit with waitpid
  read_next_line();
}

AsyncChild::~AsyncChild() {
  if (!exited_) {
    signal_tree(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
  boost::system::error_code ignored;
  fs::remove(stderr_path_, ignored);
}

void AsyncChild::read_next_line() {
  boost::asio::async_read_until(out_, buffer_, '\n', [this](const boost::system::error_code& error, size_t bytes) {
    if (bytes > 0) {
      std::string line(boost::asio::buffers_begin(buffer_.data()),
                       boost::asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(bytes) - 1);
      buffer_.consume(bytes);
      on_line_(line);
    }
    if (error) {
      if (buffer_.size() > 0) {  // a last line without newline
        std::string rest(boost::asio::buffers_begin(buffer_.data()), boost::asio::buffers_end(buffer_.data()));
        buffer_.consume(buffer_.size());
        on_line_(rest);
      }
      stdout_closed_ = true;
      finish_if_done();
      return;
    }
    read_next_line();
  });
}

void AsyncChild::poll_exit() {
  if (exited_) return;
  if (::waitpid(pid_, &status_, WNOHANG) != pid_) return;
  exited_ = true;
  seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (!stdout_closed_) {
    // Something the child left behind may still hold its stdout: give it a moment, then stop
    // reading (the leftovers get SIGPIPE when they write again) and kill what terminate() saw.
    linger_timer_.expires_after(std::chrono::seconds(2));
    linger_timer_.async_wait([this](const boost::system::error_code& error) {
      if (error || stdout_closed_) return;
      for (pid_t pid : tree_) ::kill(pid, SIGKILL);
      boost::system::error_code ignored;
      out_.close(ignored);
    });
  }
  finish_if_done();
}

void AsyncChild::terminate(std::chrono::milliseconds grace) {
  if (finished_) return;
  // Remember the tree now: processes orphaned when the child exits are no longer found under it.
  tree_ = descendants(pid_);
  if (!exited_) ::kill(-pid_, SIGTERM);
  for (pid_t pid : tree_) ::kill(pid, SIGTERM);
  kill_timer_.expires_after(grace);
  kill_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || finished_) return;
    if (!exited_) signal_tree(pid_, SIGKILL);
    for (pid_t pid : tree_) ::kill(pid, SIGKILL);
  });
}

void AsyncChild::finish_if_done() {
  if (finished_ || !exited_ || !stdout_closed_) return;
  finished_ = true;
  kill_timer_.cancel();
  linger_timer_.cancel();
  ChildResult result;
  if (WIFSIGNALED(status_)) {
    result.signal = WTERMSIG(status_);
    result.exit_code = 128 + result.signal;
  } else {
    result.exit_code = WEXITSTATUS(status_);
  }
  result.stderr_tail = file_tail(stderr_path_, kStderrTailBytes);
  result.seconds = seconds_;
  on_exit_(result);
}

ChildResult run_child(const std::vector<std::string>& argv, const std::function<void(const std::string&)>& on_line) {
  boost::asio::io_context io;
  boost::asio::signal_set child_signals(io, SIGCHLD);
  ChildResult result;
  AsyncChild child(io, argv, on_line, [&](const ChildResult& r) {
    result = r;
    child_signals.cancel();
  });
  std::function<void()> wait_for_child = [&] {
    child_signals.async_wait([&](const boost::system::error_code& error, int) {
      if (error) return;
      child.poll_exit();
      if (!child.finished()) wait_for_child();
    });
  };
  wait_for_child();
  child.poll_exit();  // it may have exited before the handler was installed
  io.run();
  return result;
}

}  // namespace iddl::launch
