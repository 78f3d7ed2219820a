#include "reports/markdown_report.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

#include "results/schema.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

class reports_markdown : public ::testing::Test {
 protected:
  void SetUp() override { test_support::write_sample_db(path_); }

  test_support::TempDir dir_;
  const std::string path_ = dir_.file("iddl.db");
};

std::vector<std::string> headers(const Table& table) {
  std::vector<std::string> names;
  for (const Column& column : table.columns) names.push_back(column.name);
  return names;
}

TEST_F(reports_markdown, FoldsSeedsIntoMeanAndStd) {
  results::Database db = results::open_for_reading(path_);
  const Table table = sweep_table(db, "demo");
  EXPECT_EQ(headers(table),
            (std::vector<std::string>{"parallelism", "ranks", "runs", "epochs", "training time", "test accuracy",
                                      "params", "FLOPs", "bytes sent", "bandwidth"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"sync", "2", "2", "2", "1m45s ± 7.1s", "85.00% ± 7.07%",
                                                     "0.102M", "557.89M", "1 MiB", "2 MB/s ± 707.11 kB/s"}));
  EXPECT_EQ(table.rows[1],
            (std::vector<std::string>{"single", "1", "1", "2", "12.3s", "75.00%", "0.102M", "557.89M", "0 B", ""}));
  EXPECT_EQ(table.columns[0].align, Align::Left);
  EXPECT_EQ(table.columns[2].align, Align::Right);
  EXPECT_EQ(table.columns[9].align, Align::Right);
}

TEST_F(reports_markdown, OnlyDoneRunsDecideWhichSettingsVary) {
  results::Database db = results::open_for_reading(path_);
  const Table table = sweep_table(db, "other");  // one done run: no setting varies, the run key says which
  EXPECT_EQ(headers(table).front(), "run");
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0][0], "only-1");
  EXPECT_EQ(table.rows[0][1], "1");
}

TEST_F(reports_markdown, UnknownSweepIsAnErrorNamingIt) {
  results::Database db = results::open_for_reading(path_);
  try {
    sweep_table(db, "nope");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("'nope'"), std::string::npos) << error.what();
  }
}

TEST_F(reports_markdown, ReportListsTableFailuresCountsAndHardware) {
  results::Database db = results::open_for_reading(path_);
  std::ostringstream out;
  write_markdown_report(out, db, std::string("demo"));
  EXPECT_EQ(out.str(),
            "## demo\n"
            "\n"
            "| parallelism | ranks | runs | epochs | training time | test accuracy | params | FLOPs | bytes sent | "
            "bandwidth |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
            "| sync | 2 | 2 | 2 | 1m45s ± 7.1s | 85.00% ± 7.07% | 0.102M | 557.89M | 1 MiB | 2 MB/s ± 707.11 kB/s |\n"
            "| single | 1 | 1 | 2 | 12.3s | 75.00% | 0.102M | 557.89M | 0 B |  |\n"
            "\n"
            "- failed: fast-1 (failed): loss | diverged at epoch 1\n"
            "\n"
            "runs: 1 pending, 3 done, 1 failed; host: node-1; BLAS: openblas (Haswell); torch: 2.1.0\n");
}

TEST_F(reports_markdown, FooterListsTheGpusOfRunsThatRecordedThem) {
  results::Database(path_).exec(
      "UPDATE runs SET gpu_name = 'Tesla V100-SXM2-16GB', gpu_count = 2, gpu_memory_bytes = 16945577984, "
      "cuda_version = '11.4', gpu_driver = '470.57.02' WHERE status = 'done' AND ranks = 2");
  results::Database db = results::open_for_reading(path_);
  std::ostringstream out;
  write_markdown_report(out, db, std::string("demo"));
  EXPECT_NE(out.str().find("\nruns: 1 pending, 3 done, 1 failed; host: node-1; BLAS: openblas (Haswell); "
                           "GPU: Tesla V100-SXM2-16GB x2 (15.78 GiB), CUDA 11.4, driver 470.57.02; torch: 2.1.0\n"),
            std::string::npos)
      << out.str();
  std::ostringstream other;
  write_markdown_report(other, db, std::string("other"));
  EXPECT_EQ(other.str().find("GPU:"), std::string::npos) << "no run of 'other' recorded a GPU:\n" << other.str();
}

TEST_F(reports_markdown, ReportCoversEverySweepWhenNoneIsNamed) {
  results::Database db = results::open_for_reading(path_);
  std::ostringstream out;
  write_markdown_report(out, db, std::nullopt);
  const std::string text = out.str();
  const auto demo = text.find("## demo\n");
  const auto other = text.find("## other\n");
  ASSERT_NE(demo, std::string::npos);
  ASSERT_NE(other, std::string::npos);
  EXPECT_LT(demo, other);
}

TEST(reports_markdown_empty, SaysThereAreNoSweeps) {
  test_support::TempDir dir;
  const std::string path = dir.file("empty.db");
  results::Store store(path);
  results::Database db = results::open_for_reading(path);
  std::ostringstream out;
  write_markdown_report(out, db, std::nullopt);
  EXPECT_EQ(out.str(), "No sweeps in " + path + ".\n");
}

}  // namespace
}  // namespace iddl::reports
