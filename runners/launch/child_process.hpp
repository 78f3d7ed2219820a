#pragma once
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process/async_pipe.hpp>
#include <boost/asio/streambuf.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace iddl::launch {

// How a child process ended.
struct ChildResult {
  int exit_code = 0;        // the exit status, or 128 + signal when a signal ended it
  int signal = 0;           // the signal that ended it, 0 when it exited
  std::string stderr_tail;  // the end of what it wrote on stderr
  double seconds = 0.0;     // wall time from start to exit
};

// A child process in its own process group, started with an argument vector (argv[0] is searched
// on PATH when it has no '/'), its stdout read line by line on an io_context and its stderr kept
// in a temporary file. `on_exit` is called once, after the exit and the last stdout line. It gets SIGTERM
// when this process dies, and its environment names this process (IDDL_LAUNCHER_PID, IDDL_LAUNCHER_HOST) so
// that the iddl-train ranks under it stop at once too.
class AsyncChild {
 public:
  AsyncChild(boost::asio::io_context& io, const std::vector<std::string>& argv,
             std::function<void(const std::string&)> on_line, std::function<void(const ChildResult&)> on_exit);
  ~AsyncChild();
  AsyncChild(const AsyncChild&) = delete;
  AsyncChild& operator=(const AsyncChild&) = delete;

  // Sends SIGTERM to the child's process tree, then SIGKILL to what is left after `grace`.
  void terminate(std::chrono::milliseconds grace);
  // Checks whether the child has exited (call on SIGCHLD); finishes it when it has.
  void poll_exit();
  bool finished() const { return finished_; }
  pid_t pid() const { return pid_; }

 private:
  void read_next_line();
  void finish_if_done();

  boost::process::async_pipe out_;
  boost::asio::streambuf buffer_;
  boost::asio::steady_timer kill_timer_;    // SIGKILL after terminate()'s grace
  boost::asio::steady_timer linger_timer_;  // stops reading when leftovers keep stdout open after the exit
  std::function<void(const std::string&)> on_line_;
  std::function<void(const ChildResult&)> on_exit_;
  std::string stderr_path_;
  std::chrono::steady_clock::time_point start_;
  pid_t pid_ = -1;
  std::vector<pid_t> tree_;  // the process tree when terminate() was called
  int status_ = 0;
  bool exited_ = false;
  bool stdout_closed_ = false;
  bool finished_ = false;
  double seconds_ = 0.0;
};

// Runs one child to completion on its own io_context, calling `on_line` per stdout line.
ChildResult run_child(const std::vector<std::string>& argv, const std::function<void(const std::string&)>& on_line);

}  // namespace iddl::launch
