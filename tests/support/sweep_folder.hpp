#pragma once
// Running the built iddl-sweep, reading the database it writes, waiting for a condition, and a fresh
// folder per test.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <functional>
#include <iterator>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "runners/launch/child_process.hpp"

namespace iddl::testing {

// How a program ended: exit code, stdout and the end of stderr.
struct Invocation {
  int exit_code;
  std::string out;
  std::string err;
};

// Runs `argv` to its end.
inline Invocation invoke(const std::vector<std::string>& argv) {
  Invocation result{0, "", ""};
  const auto child = launch::run_child(argv, [&](const std::string& line) { result.out += line + "\n"; });
  result.exit_code = child.exit_code;
  result.err = child.stderr_tail;
  return result;
}

// Runs the built iddl-sweep with `args`.
inline Invocation sweep(const std::vector<std::string>& args) {
  std::vector<std::string> argv{std::string(IDDL_BIN_DIR) + "/iddl-sweep"};
  argv.insert(argv.end(), args.begin(), args.end());
  return invoke(argv);
}

// Rows of a query as strings (NULL as "NULL"); none when the database cannot be read yet.
inline std::vector<std::vector<std::string>> query(const std::filesystem::path& db, const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  sqlite3* handle = nullptr;
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(handle, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    sqlite3_close(handle);
    return rows;
  }
  while (sqlite3_step(statement) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(statement); ++i) {
      const auto* text = sqlite3_column_text(statement, i);
      row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    rows.push_back(row);
  }
  sqlite3_finalize(statement);
  sqlite3_close(handle);
  return rows;
}

// Processes whose command line mentions `text` (a run key or sweep name is in its mpirun's and iddl-train's arguments).
inline std::vector<std::string> processes_mentioning(const std::string& text) {
  std::vector<std::string> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(text) != std::string::npos && entry.path().filename() != std::to_string(::getpid()))
      found.push_back(entry.path().filename().string());
  }
  return found;
}

// Whether `condition` became true within `limit`, checking every 100 ms.
inline bool eventually(const std::function<bool()>& condition, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

// A fresh folder per test, `dir` (named after the test suite, process and test), holding the database `db`.
class SweepFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = std::filesystem::temp_directory_path() /
          ("iddl-" + std::string(test->test_suite_name()) + "-" + std::to_string(::getpid()) + "-" + test->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    db = dir / "results.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  // Writes `text` to the file `name` in the folder and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return dir / name;
  }
  // The named metrics (run_metrics) of the run with id `run` in the folder's database.
  std::map<std::string, double> metrics(const std::string& run) {
    std::map<std::string, double> out;
    for (const auto& row : query(db, "SELECT name, value FROM run_metrics WHERE run_id = " + run))
      out[row[0]] = std::stod(row[1]);
    return out;
  }
  std::filesystem::path dir, db;
};

}  // namespace iddl::testing
