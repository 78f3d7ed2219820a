#include "hardware/program_output.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process.hpp>

#include <cstring>
#include <stdexcept>

namespace iddl::hardware {
namespace {

namespace bp = boost::process;

// This process's environment with `changes` applied.
bp::environment environment_with(const std::map<std::string, std::optional<std::string>>& changes) {
  bp::environment env = boost::this_process::environment();
  for (const auto& [name, value] : changes) {
    env.erase(name);
    if (value) env[name] = *value;
  }
  return env;
}

// Reads `pipe` into `text` until it closes, then calls `on_closed`.
template <typename OnClosed>
void read_until_closed(bp::async_pipe& pipe, std::string& text, OnClosed on_closed) {
  boost::asio::async_read(pipe, boost::asio::dynamic_buffer(text),
                          [on_closed](const boost::system::error_code&, std::size_t) { on_closed(); });
}

}  // namespace

std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const boost::filesystem::path found = bp::search_path(name);
  if (found.empty()) return std::nullopt;
  return found.string();
}

ProgramResult run_program(const std::vector<std::string>& argv, const ProgramOptions& options) {
  if (argv.empty()) throw std::invalid_argument("run_program needs a program name");
  const auto exe = find_program(argv[0]);
  if (!exe) throw std::runtime_error("cannot find '" + argv[0] + "' on PATH");
  boost::asio::io_context io;
  bp::async_pipe out(io);
  bp::async_pipe err(io);
  std::error_code start_error;
  bp::child child(*exe, bp::args(std::vector<std::string>(argv.begin() + 1, argv.end())),
                  environment_with(options.environment), bp::std_in < bp::null, bp::std_out > out, bp::std_err > err,
                  start_error);
  if (start_error) throw std::runtime_error("cannot start '" + *exe + "': " + start_error.message());

  ProgramResult result;
  boost::asio::steady_timer limit(io);
  int open_pipes = 2;
  const auto on_closed = [&open_pipes, &limit] {
    if (--open_pipes == 0) limit.cancel();
  };
  read_until_closed(out, result.out, on_closed);
  read_until_closed(err, result.err, on_closed);
  if (options.timeout.count() > 0) {
    limit.expires_after(options.timeout);
    limit.async_wait([&](const boost::system::error_code& error) {
      if (error) return;
      result.timed_out = true;
      ::kill(child.id(), SIGKILL);  // reaped below; what it left behind may still hold the pipes
      boost::system::error_code ignored;
      out.close(ignored);
      err.close(ignored);
    });
  }
  io.run();
  std::error_code ignored;
  if (child.running(ignored)) child.wait(ignored);
  const int status = child.native_exit_code();
  if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
    result.exit_code = 128 + result.signal;
  } else {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

std::string program_ending(const ProgramResult& result, const ProgramOptions& options) {
  if (result.timed_out)
    return fmt::format("was stopped after the time limit of {} s",
                       std::chrono::duration<double>(options.timeout).count());
  if (result.signal != 0) return fmt::format("was killed by signal {} ({})", result.signal, strsignal(result.signal));
  return fmt::format("exited with status {}", result.exit_code);
}

std::optional<std::string> program_output(const std::vector<std::string>& argv, const ProgramOptions& options) {
  try {
    const ProgramResult result = run_program(argv, options);
    if (result.timed_out || result.exit_code != 0) return std::nullopt;
    return result.out;
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
}

}  // namespace iddl::hardware
