// Runs the iddl-report executable as a process.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "tests/reports/report_process.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

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

TEST(reports_iddl_report, MarkdownWithWhereGroupByColumnsAndSort) {
  test_support::TempDir dir;
  test_support::write_sample_db(dir.file("iddl.db"));
  const Outcome outcome =
      run_report(dir, {"markdown", "--where", "model = 'mlp' AND ranks <= 2", "--group-by", "parallelism", "--columns",
                       "test_accuracy,train_time_s", "--sort", "-runs"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("| parallelism | runs | test accuracy | training time |\n"
                             "|---|---:|---:|---:|\n"
                             "| sync | 2 | 85.00% ± 7.07% | 1m45s ± 7.1s |\n"
                             "| single | 1 | 75.00% | 12.3s |\n"),
            std::string::npos)
      << outcome.out;
  EXPECT_NE(outcome.out.find("## other"), std::string::npos) << outcome.out;
}

TEST(reports_iddl_report, CsvOfEverySweep) {
  test_support::TempDir dir;
  test_support::write_sample_db(dir.file("iddl.db"));
  const Outcome outcome = run_report(dir, {"csv", "--columns", "test_accuracy"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out,
            "sweep,parallelism,ranks,runs,test_accuracy,test_accuracy_std\n"
            "demo,sync,2,2,0.85,0.0707106781187\n"
            "demo,single,1,1,0.75,\n"
            "other,single,1,1,0.5,\n");
  const Outcome human = run_report(dir, {"csv", "--columns", "test_accuracy", "--human"});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_EQ(human.out,
            "sweep,parallelism,ranks,runs,test accuracy\n"
            "demo,sync,2,2,85.00% ± 7.07%\n"
            "demo,single,1,1,75.00%\n"
            "other,single,1,1,50.00%\n");
}

TEST(reports_iddl_report, JsonIsOneArrayOfRuns) {
  test_support::TempDir dir;
  test_support::write_sample_db(dir.file("iddl.db"));
  const Outcome outcome =
      run_report(dir, {"json", "--sweep", "demo", "--where", "status = 'done'", "--sort", "-test_accuracy"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  const nlohmann::json runs = nlohmann::json::parse(outcome.out);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].at("run_key"), "sync-2");
  EXPECT_EQ(runs[0].at("parallelism"), "sync");
  EXPECT_EQ(runs[0].at("config").at("parallelism").at("method"), "sync");
}

TEST(reports_iddl_report, CurvesWriteAnSvgFile) {
  test_support::TempDir dir;
  test_support::write_sample_db(dir.file("iddl.db"));
  const Outcome outcome = run_report(dir, {"curves", "--sweep", "demo", "--group-by", "seed", "--out", "curves.svg"});
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, "wrote curves.svg\n");
  const std::string svg = slurp(dir.file("curves.svg"));
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find(">seed=2</text>"), std::string::npos);
}

TEST(reports_iddl_report, CompareTwoSweepsAndTwoGroups) {
  test_support::TempDir dir;
  test_support::write_sample_db(dir.file("iddl.db"));
  const Outcome sweeps = run_report(dir, {"compare", "demo", "other", "--columns", "test_accuracy"});
  EXPECT_EQ(sweeps.exit_code, 0) << sweeps.err;
  EXPECT_EQ(sweeps.out.rfind("A: demo\nB: other\n\n", 0), 0u) << sweeps.out;
  EXPECT_NE(sweeps.out.find("| single | 1 | 1 | 1 | 75.00% | 50.00% | -25.00 pp |"), std::string::npos) << sweeps.out;

  const Outcome groups = run_report(dir, {"compare", "demo", "--where-a", "ranks = 1", "--where-b", "ranks = 2",
                                          "--columns", "test_accuracy", "--format", "csv"});
  EXPECT_EQ(groups.exit_code, 0) << groups.err;
  EXPECT_EQ(groups.out,
            "runs_a,runs_b,test_accuracy_a,test_accuracy_b,test_accuracy_diff\n"
            "1,2,0.75,0.85,0.1\n");
  const Outcome human = run_report(dir, {"compare", "demo", "--where-a", "ranks = 1", "--where-b", "ranks = 2",
                                         "--columns", "test_accuracy", "--format", "csv", "--human"});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_EQ(human.out,
            "runs (A),runs (B),test accuracy (A),test accuracy (B),test accuracy (B - A)\n"
            "1,2,75.00%,85.00% ± 7.07%,+10.00 pp\n");
}

TEST(reports_iddl_report, BadInputExitsTwoWithOneLine) {
  test_support::TempDir dir;
  test_support::write_sample_db(dir.file("iddl.db"));
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"query", "DELETE FROM runs"},
           {"query", "--format", "xml", "SELECT 1"},
           {"markdown", "--sweep", "nope"},
           {"markdown", "--where", "ranks = = 2"},
           {"markdown", "--columns", "test_acc"},
           {"csv", "--group-by", "modle"},
           {"csv", "--sort", "-nope"},
           {"json", "--group-by", "model"},
           {"json", "--sort", "nope"},
           {"curves", "--sweep", "demo"},
           {"curves", "--where", "status = 'failed'", "--out", "x.svg"},
           {"compare", "demo"},
           {"compare", "demo", "nope"},
           {"frobnicate"},
           {}}) {
    const Outcome outcome = run_report(dir, args);
    std::string command;
    for (const std::string& arg : args) command += arg + " ";
    EXPECT_EQ(outcome.exit_code, 2) << command;
    EXPECT_EQ(line_count(outcome.err), 1) << command << ": " << outcome.err;
    EXPECT_EQ(outcome.out, "") << command;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.svg")));
}

TEST(reports_iddl_report, NamedMetricColumnsAndPatterns) {
  test_support::TempDir dir;
  test_support::write_early_exit_db(dir.file("iddl.db"));
  const Outcome csv =
      run_report(dir, {"csv", "--human", "--columns", "test_accuracy,exit_accuracy.*,compression_ratio"});
  EXPECT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out,
            "sweep,horizontal,runs,test accuracy,exit_accuracy.1,exit_accuracy.2,exit_accuracy.10,compression ratio\n"
            "ee,early_exit,2,85.00% ± 7.07%,71.00% ± 1.41%,75.00%,80.00%,0.0124 ± 0.0001414\n"
            "ee,none,1,85.00%,,,,\n");
  const Outcome unknown = run_report(dir, {"markdown", "--columns", "test_accuracy,exit_fracton.1"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "iddl-report: unknown column 'exit_fracton.1' (did you mean 'exit_fraction.1'?)\n");
  EXPECT_EQ(unknown.out, "");
}

TEST(reports_iddl_report, BadWhereQuotesTheExpression) {
  test_support::TempDir dir;
  test_support::write_sample_db(dir.file("iddl.db"));
  const Outcome outcome = run_report(dir, {"markdown", "--where", "rank = 2"});
  EXPECT_EQ(outcome.err, "iddl-report: bad where expression \"rank = 2\": no such column: rank\n");
}

}  // namespace
}  // namespace iddl::reports
