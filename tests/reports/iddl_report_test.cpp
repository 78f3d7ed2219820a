// Runs the iddl-report executable as a process.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "tests/reports/sample_db.hpp"
#include "tests/results/temp_dir.hpp"

namespace iddl::reports {
namespace {

const std::string kIddlReport = IDDL_BIN_DIR "/iddl-report";

struct Outcome {
  int exit_code;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs iddl-report with args in dir (its working directory), capturing stdout and stderr.
Outcome run_report(const test_support::TempDir& dir, const std::vector<std::string>& args) {
  const std::string out_path = dir.file("stdout.txt");
  const std::string err_path = dir.file("stderr.txt");
  std::vector<std::string> argv_text = {kIddlReport};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(std::filesystem::path(dir.file(".")));
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, kIddlReport.c_str(), &actions, nullptr, argv.data(), environ);
  std::filesystem::current_path(previous);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return {-1, "", "cannot start " + kIddlReport};
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out_path), slurp(err_path)};
}

int line_count(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

TEST(reports_iddl_report, MissingDefaultDatabaseExitsTwoAndCreatesNothing) {
  test_support::TempDir dir;
  const Outcome outcome = run_report(dir, {"markdown"});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.err.find("iddl.db"), std::string::npos) << outcome.err;
  EXPECT_EQ(line_count(outcome.err), 1) << outcome.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("iddl.db")));
}

TEST(reports_iddl_report, MissingDatabaseForQueryExitsTwo) {
  test_support::TempDir dir;
  const Outcome outcome = run_report(dir, {"query", "--db", dir.file("gone.db"), "SELECT 1"});
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.err.find("gone.db"), std::string::npos) << outcome.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("gone.db")));
}

TEST(reports_iddl_report, MarkdownOfTheDefaultDatabase) {
  test_support::TempDir dir;
  test_support::write_sample_db(dir.file("iddl.db"));
  const Outcome outcome = run_report(dir, {"markdown", "--sweep", "demo"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out.rfind("## demo\n", 0), 0u) << outcome.out;
  EXPECT_NE(outcome.out.find("| sync | 2 | 2 | 2 | 1m45s ± 7.1s |"), std::string::npos) << outcome.out;
}

TEST(reports_iddl_report, QueryAsCsv) {
  test_support::TempDir dir;
  test_support::write_sample_db(dir.file("iddl.db"));
  const Outcome outcome =
      run_report(dir, {"query", "--format", "csv", "SELECT name, file FROM sweeps ORDER BY id"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, "name,file\ndemo,sweeps/demo.toml\nother,\n");
}

TEST(reports_iddl_report, BadInputExitsTwoWithOneLine) {
  test_support::TempDir dir;
  test_support::write_sample_db(dir.file("iddl.db"));
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"query", "DELETE FROM runs"},
           {"query", "--format", "xml", "SELECT 1"},
           {"markdown", "--sweep", "nope"},
           {"frobnicate"},
           {}}) {
    const Outcome outcome = run_report(dir, args);
    EXPECT_EQ(outcome.exit_code, 2) << (args.empty() ? "(no arguments)" : args.front());
    EXPECT_EQ(line_count(outcome.err), 1) << outcome.err;
  }
}

}  // namespace
}  // namespace iddl::reports
