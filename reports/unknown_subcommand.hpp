// The message of iddl-sweep and iddl-report for a first argument that names no subcommand (header-only: CLI11).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace iddl::reports {

// "unknown subcommand 'delete' (the subcommands are: plan, run, …)" when the first argument is neither an option nor
// one of app's subcommands; "" otherwise.
inline std::string unknown_subcommand(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return "";
  std::string names;
  for (const auto* subcommand : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (subcommand->check_name(argv[1])) return "";
    names += (names.empty() ? "" : ", ") + subcommand->get_name();
  }
  return "unknown subcommand '" + std::string(argv[1]) + "' (the subcommands are: " + names + ")";
}

}  // namespace iddl::reports
