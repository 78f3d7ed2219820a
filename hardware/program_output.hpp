// Running a program to its end and keeping what it prints: by argument vector (never a shell), with a time limit.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace iddl::hardware {

// How a program run by run_program ended, and what it printed.
struct ProgramResult {
  int exit_code = 0;       // the exit status, or 128 + signal when a signal ended it
  int signal = 0;          // the signal that ended it (SIGKILL at the time limit), 0 when it exited
  bool timed_out = false;  // stopped at the time limit
  std::string out;         // what it wrote on stdout
  std::string err;         // what it wrote on stderr
};

// How run_program runs a program.
struct ProgramOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // killed after this; 0: no limit
  // Environment variables changed from this process's: set to the value, or removed when nullopt.
  std::map<std::string, std::optional<std::string>> environment;
};

// The path of the program `name`: `name` itself when it has a '/', else the first executable of that name in a
// folder of PATH (boost::process::search_path); nullopt when there is none.
std::optional<std::string> find_program(const std::string& name);

// Runs argv[0] (found by find_program) with the other arguments, stdin empty, to its end or the time limit;
// throws std::runtime_error naming the program when it cannot be found or started.
ProgramResult run_program(const std::vector<std::string>& argv, const ProgramOptions& options = {});

// How a program ended, for messages: "exited with status 2", "was killed by signal 9 (Killed)" or
// "was stopped after the time limit of 60 s".
std::string program_ending(const ProgramResult& result, const ProgramOptions& options = {});

// What the program prints on stdout, or nullopt when it cannot be found or started, exits with a non-zero
// status, or is stopped at the time limit.
std::optional<std::string> program_output(const std::vector<std::string>& argv, const ProgramOptions& options = {});

}  // namespace iddl::hardware
