#pragma once
#include <functional>
#include <string>
#include <vector>

namespace iddl::launch {

// How a child process ended: its exit code (128 + signal when killed) and the end of its stderr.
struct ChildResult {
  int exit_code = 0;
  std::string stderr_tail;
};

// Runs argv[0] (searched on PATH when it has no '/') with arguments argv[1..], calling `on_line`
// for each line of its stdout as it arrives; stderr is kept in a temporary file and its last
// `tail_bytes` are returned. Throws std::runtime_error when the program cannot be started.
ChildResult run_child(const std::vector<std::string>& argv, const std::function<void(const std::string&)>& on_line,
                      size_t tail_bytes = 4000);

}  // namespace iddl::launch
