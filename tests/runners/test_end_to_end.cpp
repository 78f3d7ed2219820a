// The whole path: iddl-sweep -> mpirun -> iddl-train -> SQLite, on generated synthetic data.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runners/launch/child_process.hpp"

namespace fs = std::filesystem;

namespace {

struct Invocation {
  int exit_code;
  std::string out;
  std::string err;
};

Invocation sweep(const std::vector<std::string>& args) {
  std::vector<std::string> argv{std::string(IDDL_BIN_DIR) + "/iddl-sweep"};
  argv.insert(argv.end(), args.begin(), args.end());
  Invocation result{0, "", ""};
  const auto child = iddl::launch::run_child(argv, [&](const std::string& line) { result.out += line + "\n"; });
  result.exit_code = child.exit_code;
  result.err = child.stderr_tail;
  return result;
}

// Rows of a query as strings (NULL as "NULL").
std::vector<std::vector<std::string>> query(const fs::path& db, const std::string& sql) {
  sqlite3* handle = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(handle, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sqlite3_errmsg(handle);
  std::vector<std::vector<std::string>> rows;
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

class EndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("iddl-e2e-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
    db = dir / "results.db";
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return dir / name;
  }
  fs::path dir, db;
};

const std::string kSweeps = std::string(IDDL_SOURCE_DIR) + "/sweeps/";

}  // namespace

TEST_F(EndToEnd, SyntheticSweepOnOneAndTwoRanksIsStoredAndResumes) {
  const auto first = sweep({"run", kSweeps + "synthetic_e2e.toml", "--db", db.string()});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;

  const auto runs = query(db, "SELECT parallelism, ranks, status, test_accuracy, bytes_sent, params, flops, "
                              "blas_library, host, finished_at FROM runs ORDER BY ranks");
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    EXPECT_EQ(run[2], "done");
    EXPECT_GT(std::stod(run[3]), 0.5) << "accuracy well above chance (0.1)";
    EXPECT_GT(std::stoll(run[5]), 0);
    EXPECT_GT(std::stoll(run[6]), 0);
    EXPECT_NE(run[7], "NULL");
    EXPECT_NE(run[8], "NULL");
  }
  EXPECT_EQ(runs[0][0], "single");
  EXPECT_EQ(std::stoll(runs[0][4]), 0);
  EXPECT_EQ(runs[1][0], "sync");
  EXPECT_GT(std::stoll(runs[1][4]), 0) << "two-rank sync sends gradients";

  const auto epochs = query(db, "SELECT run_id, COUNT(*), MIN(epoch), MAX(epoch) FROM epochs GROUP BY run_id");
  ASSERT_EQ(epochs.size(), 2u);
  for (const auto& row : epochs) EXPECT_EQ((std::vector<std::string>{row[1], row[2], row[3]}),
                                           (std::vector<std::string>{"3", "1", "3"}));

  const auto again = sweep({"run", kSweeps + "synthetic_e2e.toml", "--db", db.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 done, 0 failed, 2 already done"), std::string::npos) << again.out;
  EXPECT_EQ(query(db, "SELECT finished_at FROM runs ORDER BY ranks"),
            (std::vector<std::vector<std::string>>{{runs[0][9]}, {runs[1][9]}}));
}

TEST_F(EndToEnd, AFailingRunIsRecordedAndTheSweepGoesOn) {
  const auto file = write("failing.toml", R"([sweep]
name = "failing"
[base]
dataset = "synthetic"
train_samples = 256
test_samples = 64
model = "mlp"
hidden = [16]
epochs = 1
[matrix]
device = ["cuda", "cpu"]
)");
  const auto result = sweep({"run", file.string(), "--db", db.string()});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const auto runs = query(db, "SELECT device, status, error, exit_code FROM runs ORDER BY id");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0][1], "failed");
  EXPECT_NE(runs[0][2].find("cuda"), std::string::npos) << runs[0][2];
  EXPECT_NE(runs[0][3], "0");
  EXPECT_EQ(runs[1][1], "done");
}

TEST_F(EndToEnd, MissingCifarFilesStopBeforeAnythingRuns) {
  const auto result = sweep({"run", kSweeps + "cifar10.toml", "--db", db.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("data_batch_1.bin"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("data_dir"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(db));
}

TEST_F(EndToEnd, PlanListsTheRunsWithoutData) {
  const auto result = sweep({"plan", kSweeps + "cifar10.toml"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("resnet18"), std::string::npos) << result.out;
}

TEST_F(EndToEnd, BadSweepFileNamesTheFileAndLine) {
  const auto file = write("bad.toml", "[sweep]\nname = \"bad\"\n[base]\nmodle = \"mlp\"\n");
  const auto result = sweep({"plan", file.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("bad.toml:4"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("model"), std::string::npos) << result.err;
}

TEST_F(EndToEnd, TheChosenBlasKernelReachesEveryRunAndIsRecorded) {
  const auto file = write("blas.toml", R"([sweep]
name = "blas"
[base]
dataset = "synthetic"
train_samples = 128
test_samples = 32
hidden = [8]
epochs = 1
[matrix]
parallelism = [{parallelism = "single", ranks = 1}, {parallelism = "sync", ranks = 2}]
)");
  const auto result = sweep({"run", file.string(), "--db", db.string(), "--blas-coretype", "Prescott"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(query(db, "SELECT DISTINCT blas_kernel FROM runs"), (std::vector<std::vector<std::string>>{{"Prescott"}}));
}
