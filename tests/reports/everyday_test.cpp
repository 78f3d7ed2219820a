// Everyday reports (issue 21): numeric CSV a program can compute with, columns against a baseline run,
// rows that say which run they are, labels with only the non-default parameters, one run in full, and
// the messages of curves and pipeline; all through the built iddl-report on databases the store wrote.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fcntl.h>

#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/reports/report_process.hpp"
#include "results/run_keys.hpp"
#include "results/run_labels.hpp"
#include "results/schema.hpp"
#include "tests/reports/sample_db.hpp"

namespace iddl::reports {
namespace {

using test_support::demo_config;
using test_support::finished;
using test_support::run_to_done;

// The cells of one CSV line (RFC 4180 quoting).
std::vector<std::string> csv_cells(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      cells.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) rows.push_back(csv_cells(line));
  return rows;
}

bool is_number(const std::string& cell) {
  char* end = nullptr;
  std::strtod(cell.c_str(), &end);
  return !cell.empty() && end == cell.c_str() + cell.size();
}

nlohmann::json with_compression(nlohmann::json config, const nlohmann::json& compression) {
  config["compression"] = compression;
  return config;
}

// topk as the matrix resolves it: every parameter present, ratio and error_feedback off their defaults.
const nlohmann::json kTopk = {{"method", "topk"},       {"ratio", 0.1},           {"ties", "exact_k"},
                              {"granularity", "layerwise"}, {"error_feedback", true}};

// Sweep "cmp": compression none (two seeds) and topk on 2 ranks, none and topk on 4 ranks, topk alone
// on 8 ranks (no baseline run).
void write_compression_db(const std::string& path) {
  results::Store store(path);
  const nlohmann::json none = {{"method", "none"}};
  const int64_t sweep = store.register_sweep(
      "cmp", "sweeps/cmp.toml",
      {{"none-2a", 0, demo_config("sync", 2, 1)},
       {"none-2b", 1, demo_config("sync", 2, 2)},
       {"topk-2", 0, with_compression(demo_config("sync", 2, 1), kTopk)},
       {"none-4", 0, demo_config("sync", 4, 1)},
       {"topk-4", 0, with_compression(demo_config("sync", 4, 1), kTopk)},
       {"topk-8", 0, with_compression(demo_config("sync", 8, 1), kTopk)}});
  const auto runs = store.runs_of(sweep);
  run_to_done(store, runs[0].id, finished(10, 0.80, 1000, 1e6));
  run_to_done(store, runs[1].id, finished(12, 0.82, 1000, 1e6));
  run_to_done(store, runs[2].id, finished(22, 0.79, 100, 1e6));
  run_to_done(store, runs[3].id, finished(5, 0.85, 2000, 1e6));
  run_to_done(store, runs[4].id, finished(5, 0.84, 500, 1e6));
  run_to_done(store, runs[5].id, finished(1, 0.70, 10, 1e6));
}

class reports_everyday : public ::testing::Test {
 protected:
  void SetUp() override {
    test_support::write_sample_db(dir_.file("iddl.db"));
    write_compression_db(dir_.file("cmp.db"));
  }
  Outcome report(const std::vector<std::string>& args) { return run_report(dir_, args); }
  test_support::TempDir dir_;
};

TEST_F(reports_everyday, CsvIsNumericWithUnitsInTheHeaders) {
  const Outcome csv = report({"csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto rows = csv_rows(csv.out);
  ASSERT_EQ(rows.size(), 4u) << csv.out;
  const std::vector<std::string>& header = rows[0];
  EXPECT_EQ(header, (std::vector<std::string>{"sweep", "parallelism", "ranks", "runs", "epochs", "epochs_std",
                                              "train_time_s", "train_time_s_std", "test_accuracy", "test_accuracy_std",
                                              "params", "params_std", "flops", "flops_std", "bytes_sent",
                                              "bytes_sent_std", "bandwidth_Bps", "bandwidth_Bps_std"}));
  for (size_t row = 1; row < rows.size(); ++row) {
    ASSERT_EQ(rows[row].size(), header.size()) << csv.out;
    for (size_t column = 2; column < header.size(); ++column) {  // every column after sweep and parallelism
      const std::string& cell = rows[row][column];
      EXPECT_TRUE(cell.empty() || is_number(cell)) << header[column] << " = '" << cell << "'";
    }
  }
  EXPECT_EQ(rows[1], (std::vector<std::string>{"demo", "sync", "2", "2", "2", "0", "105", "7.07106781187", "0.85",
                                               "0.0707106781187", "101770", "0", "557890000", "0", "1048576", "0",
                                               "2000000", "707106.781187"}));
}

TEST_F(reports_everyday, Python3ReadsTheCsvAsNumbers) {
  ASSERT_EQ(std::system("command -v python3 >/dev/null 2>&1"), 0) << "python3 is missing: scripts/setup.sh installs it";
  const Outcome csv = report({"csv", "--where", "status = 'done'"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  {
    std::ofstream file(dir_.file("runs.csv"));
    file << csv.out;
  }
  const char* script =
      "import csv, sys\n"
      "rows = list(csv.DictReader(open(sys.argv[1], newline='')))\n"
      "numeric = [c for c in rows[0] if c not in ('sweep', 'parallelism', 'run')]\n"
      "values = [float(r[c]) for r in rows for c in numeric if r[c] != '']\n"
      "print(len(rows), len(values), round(sum(float(r['test_accuracy']) * int(r['runs']) for r in rows), 6))\n";
  const std::string out_path = dir_.file("python.out");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {"python3", "-c", script, dir_.file("runs.csv")};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawnp(&pid, "python3", &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(out_path);
  // 3 rows; 0.85 * 2 + 0.75 + 0.5 = 2.95 (a display string such as "85.00%" would have made float() fail)
  EXPECT_EQ(slurp(out_path).substr(0, 2), "3 ");
  EXPECT_NE(slurp(out_path).find(" 2.95\n"), std::string::npos) << slurp(out_path);
}

TEST_F(reports_everyday, BaselineColumnsCompareEachRowWithItsBaselineRun) {
  const Outcome csv = report({"csv", "--db", "cmp.db", "--columns", "test_accuracy", "--baseline", "compression=none"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out,
            "sweep,compression,ranks,runs,test_accuracy,test_accuracy_std,test_accuracy_minus_baseline,"
            "bytes_sent_over_baseline,train_time_s_over_baseline\n"
            "cmp,none,2,2,0.81,0.0141421356237,0,1,1\n"
            "cmp,\"topk(error_feedback=true, ratio=0.1)\",2,1,0.79,,-0.02,0.1,2\n"
            "cmp,none,4,1,0.85,,0,1,1\n"
            "cmp,\"topk(error_feedback=true, ratio=0.1)\",4,1,0.84,,-0.01,0.25,1\n"
            "cmp,\"topk(error_feedback=true, ratio=0.1)\",8,1,0.7,,,,\n");

  const Outcome markdown = report({"markdown", "--db", "cmp.db", "--columns", "test_accuracy", "--where",
                                   "compression != 'none'", "--baseline", "compression=none"});
  ASSERT_EQ(markdown.exit_code, 0) << markdown.err;
  EXPECT_NE(markdown.out.find("| ranks | runs | test accuracy | test accuracy (Δ baseline) | bytes sent (× baseline) | "
                              "training time (× baseline) |"),
            std::string::npos)
      << markdown.out;  // the baseline runs are outside the where expression and still found
  EXPECT_NE(markdown.out.find("| 2 | 1 | 79.00% | -2.00 pp | 0.1× | 2× |"), std::string::npos) << markdown.out;
  EXPECT_NE(markdown.out.find("| 8 | 1 | 70.00% |  |  |  |"), std::string::npos) << markdown.out;
}

TEST_F(reports_everyday, ABaselineMatchingNoRunIsAnError) {
  const Outcome value = report({"markdown", "--db", "cmp.db", "--baseline", "compression=nonee"});
  EXPECT_EQ(value.exit_code, 2);
  EXPECT_EQ(value.err,
            "iddl-report: --baseline: no done run has compression = nonee (its values: none, "
            "topk(error_feedback=true, ratio=0.1))\n");
  EXPECT_EQ(value.out, "");
  const Outcome setting = report({"csv", "--db", "cmp.db", "--baseline", "compresion=none"});
  EXPECT_EQ(setting.exit_code, 2);
  EXPECT_EQ(setting.err, "iddl-report: --baseline: no done run has a setting 'compresion'\n");
  const Outcome form = report({"compare", "cmp", "--db", "cmp.db", "--where-a", "ranks = 2", "--baseline", "none"});
  EXPECT_EQ(form.exit_code, 2);
  EXPECT_EQ(form.err, "iddl-report: bad --baseline 'none': give SETTING=VALUE, e.g. \"compression=none\"\n");
}

TEST_F(reports_everyday, CompareTakesGroupBySortAndBaseline) {
  const Outcome compared = report({"compare", "cmp", "--db", "cmp.db", "--where-a", "ranks = 2", "--where-b",
                                   "ranks = 4", "--columns", "test_accuracy", "--group-by", "compression", "--sort",
                                   "test_accuracy", "--baseline", "compression=none", "--format", "csv"});
  ASSERT_EQ(compared.exit_code, 0) << compared.err;
  EXPECT_EQ(compared.out,
            "compression,runs_a,runs_b,test_accuracy_a,test_accuracy_b,test_accuracy_diff,"
            "test_accuracy_minus_baseline_a,bytes_sent_over_baseline_a,train_time_s_over_baseline_a,"
            "test_accuracy_minus_baseline_b,bytes_sent_over_baseline_b,train_time_s_over_baseline_b\n"
            "\"topk(error_feedback=true, ratio=0.1)\",1,1,0.79,0.84,0.05,-0.02,0.1,2,-0.01,0.25,1\n"
            "none,2,1,0.81,0.85,0.04,0,1,1,0,1,1\n");
  const Outcome descending = report({"compare", "cmp", "--db", "cmp.db", "--where-a", "ranks = 2", "--where-b",
                                     "ranks = 4", "--columns", "test_accuracy", "--sort", "-test_accuracy"});
  ASSERT_EQ(descending.exit_code, 0) << descending.err;
  EXPECT_LT(descending.out.find("| none |"), descending.out.find("| topk(")) << descending.out;
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--group-by", "compresion"}, std::vector<std::string>{"--sort", "accuracy"}}) {
    std::vector<std::string> args = {"compare", "cmp", "--db", "cmp.db", "--where-a", "ranks = 2"};
    args.insert(args.end(), bad.begin(), bad.end());
    const Outcome outcome = report(args);
    EXPECT_EQ(outcome.exit_code, 2) << bad[0];
    EXPECT_NE(outcome.err.find(bad[1]), std::string::npos) << outcome.err;
  }
}

TEST_F(reports_everyday, LabelsShowOnlyNonDefaultParameters) {
  const Outcome markdown = report({"markdown", "--db", "cmp.db", "--columns", "test_accuracy"});
  ASSERT_EQ(markdown.exit_code, 0) << markdown.err;
  EXPECT_NE(markdown.out.find("| topk(error_feedback=true, ratio=0.1) | 2 | 1 | 79.00% |"), std::string::npos)
      << markdown.out;
  EXPECT_EQ(markdown.out.find("granularity"), std::string::npos) << markdown.out;
  const Outcome curves = report({"curves", "--db", "cmp.db", "--group-by", "compression", "--out", "c.svg"});
  ASSERT_EQ(curves.exit_code, 0) << curves.err;
  EXPECT_EQ(curves.out, "wrote c.svg\n");
  const std::string svg = slurp(dir_.file("c.svg"));
  EXPECT_NE(svg.find(">compression=topk(error_feedback=true, ratio=0.1)</text>"), std::string::npos);
  EXPECT_EQ(svg.find("ties="), std::string::npos);
}

TEST_F(reports_everyday, WhereNarrowingToOneSettingKeepsTheRunKeys) {
  const Outcome narrowed = report({"markdown", "--db", "cmp.db", "--columns", "test_accuracy", "--where",
                                   "ranks = 2 AND compression = 'none'"});
  ASSERT_EQ(narrowed.exit_code, 0) << narrowed.err;
  EXPECT_NE(narrowed.out.find("| run | runs | test accuracy |\n|---|---:|---:|\n| none-2a, none-2b | 2 | 81.00% ± 1.41% |"),
            std::string::npos)
      << narrowed.out;
}

TEST_F(reports_everyday, ShowPrintsOneRunInFull) {
  const Outcome shown = report({"show", "sync-1"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  for (const char* part : {"# run sync-1 of sweep demo (sweeps/demo.toml)\n", "status: done\n", "tags: none\n",
                           "## Config\n", "| parallelism | sync |\n", "| lr | 0.05 |\n", "| seed | 1 |\n",
                           "## Metrics\n", "| test_accuracy | 80.00% |\n", "| params | 0.102M |\n", "| bytes_sent | 1 MiB |\n", "## Epochs\n",
                           "| 1 | 1 | 70.00% |", "| 2 | 0.5 | 80.00% |", "## Environment\n", "| host | node-1 |\n",
                           "| blas_kernel | Haswell |\n", "| torch_version | 2.1.0 |\n"}) {
    EXPECT_NE(shown.out.find(part), std::string::npos) << part << "\n" << shown.out;
  }
  const Outcome failed = report({"show", "fast-1", "--sweep", "demo"});
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  EXPECT_NE(failed.out.find("status: failed, exit code 1\n"), std::string::npos) << failed.out;
  EXPECT_NE(failed.out.find("error: loss | diverged\nat epoch 1\n"), std::string::npos) << failed.out;

  const Outcome unknown = report({"show", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "iddl-report: iddl.db: no run with run key 'nope' (iddl-sweep plan FILE lists the run keys)\n");
  EXPECT_EQ(unknown.out, "");
}

TEST_F(reports_everyday, TagsAndNotesAreShownAndSelectable) {
  {
    results::Database db = results::open_for_labels(dir_.file("iddl.db"));
    results::add_tag(db, results::ids_of(results::find_runs(db, {"sync-1", "single-1"}, std::nullopt)), "baseline");
    results::set_note(db, results::find_runs(db, {"single-1"}, std::nullopt).front().id, "one rank, for reference");
  }
  const Outcome shown = report({"show", "single-1"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("tags: baseline\nnote: one rank, for reference\n"), std::string::npos) << shown.out;

  const Outcome tagged = report({"json", "--where", "tag = 'baseline'"});
  ASSERT_EQ(tagged.exit_code, 0) << tagged.err;
  const nlohmann::json runs = nlohmann::json::parse(tagged.out);
  ASSERT_EQ(runs.size(), 2u) << tagged.out;
  EXPECT_EQ(runs[0].at("run_key"), "sync-1");
  EXPECT_EQ(runs[1].at("run_key"), "single-1");
  const Outcome noted = report({"csv", "--where", "note LIKE '%reference%'", "--columns", "test_accuracy"});
  ASSERT_EQ(noted.exit_code, 0) << noted.err;
  EXPECT_EQ(noted.out, "sweep,run,runs,test_accuracy,test_accuracy_std\ndemo,single-1,1,0.75,\n");
}

TEST_F(reports_everyday, PipelineOnASweepWithoutPipelineRunsSaysSo) {
  const Outcome pipeline = report({"pipeline", "--sweep", "demo"});
  EXPECT_EQ(pipeline.exit_code, 0) << pipeline.err;
  EXPECT_EQ(pipeline.out,
            "No pipeline runs among the 3 selected done run(s): this report compares pipeline parallelism with "
            "data parallelism; `iddl-report markdown` shows these runs.\n");
}

}  // namespace
}  // namespace iddl::reports
