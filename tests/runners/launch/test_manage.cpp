// Managing runs and sweeps (issue 21), through the built iddl-sweep on real SQLite files: rm with its dry run and
// confirmation, a sweep name taken by another file or matrix, --set overrides, --only / --where, plan and run
// agreeing on failed runs, unknown subcommands, and no file left behind by a clean exit.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/sweep_folder.hpp"

namespace fs = std::filesystem;
using namespace iddl::testing;

namespace {

const std::string kReportExe = std::string(IDDL_BIN_DIR) + "/iddl-report";

// A tiny sweep on generated data, one epoch unless the matrix says; `matrix` holds the [matrix] lines, `seed` keeps
// run keys apart between tests running at the same time.
std::string tiny_sweep(const std::string& name, int seed, const std::string& matrix, const std::string& extra = "") {
  return "[sweep]\nname = \"" + name + "\"\n[base]\ndataset = \"synthetic\"\ntrain_samples = 128\n"
         "test_samples = 32\nhidden = [8]\nthreads = 1\nseed = " + std::to_string(seed) + "\n" +
         (matrix.find("epochs") == std::string::npos ? "epochs = 1\n" : "") + extra + "[matrix]\n" + matrix + "\n";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

using Rows = std::vector<std::vector<std::string>>;

class Manage : public SweepFolderTest {
 protected:
  std::string cell(const std::string& sql) {
    const auto rows = query(db, sql);
    return rows.empty() ? "" : rows[0][0];
  }
  // iddl-sweep run, which must succeed.
  void run_ok(const std::vector<std::string>& args) {
    const auto result = sweep(args);
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  }
  // Files in the folder other than the sweep files.
  std::vector<std::string> leftovers() {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().extension() != ".toml") names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

}  // namespace

// rm SWEEP: the dry run lists and deletes nothing; rm deletes the runs, their epochs and metrics and the sweep in one
// go, leaving the other sweep whole.
TEST_F(Manage, RmDeletesASweepWithItsEpochsAndMetrics) {
  const auto a = write("a.toml", tiny_sweep("gone", 401, "lr = [0.05, 0.1]"));
  const auto b = write("b.toml", tiny_sweep("kept", 402, "lr = [0.1]"));
  run_ok({"run", a.string(), "--db", db.string()});
  run_ok({"run", b.string(), "--db", db.string()});
  const std::string before = cell("SELECT count(*) FROM epochs");
  ASSERT_EQ(before, "3");

  const auto dry = sweep({"rm", "gone", "--db", db.string(), "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(contains(dry.out, "would delete 2 run(s) with 2 epoch row(s)")) << dry.out;
  EXPECT_EQ(cell("SELECT count(*) FROM runs"), "3");

  const auto rm = sweep({"rm", "gone", "--db", db.string()});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_TRUE(contains(rm.out, "deleted 2 run(s)")) << rm.out;
  EXPECT_EQ(query(db, "SELECT name FROM sweeps"), (Rows{{"kept"}}));
  EXPECT_EQ(cell("SELECT count(*) FROM runs"), "1");
  EXPECT_EQ(cell("SELECT count(*) FROM epochs"), "1");
  EXPECT_EQ(cell("SELECT count(*) FROM run_metrics WHERE run_id NOT IN (SELECT id FROM runs)"), "0");

  const auto again = sweep({"rm", "gone", "--db", db.string()});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_TRUE(contains(again.err, "no sweep named 'gone'")) << again.err;
}

// rm --run: only the named runs go, the sweep stays; a key matching no run is named.
TEST_F(Manage, RmRunDeletesOnlyTheNamedRuns) {
  const auto file = write("r.toml", tiny_sweep("some", 411, "lr = [0.05, 0.1, 0.2]"));
  run_ok({"run", file.string(), "--db", db.string()});
  const auto keys = query(db, "SELECT run_key FROM runs ORDER BY id");
  ASSERT_EQ(keys.size(), 3u);
  const auto rm = sweep({"rm", "--run", keys[0][0], keys[2][0], "--db", db.string()});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(query(db, "SELECT run_key FROM runs"), (Rows{keys[1]}));
  EXPECT_EQ(query(db, "SELECT name FROM sweeps"), (Rows{{"some"}}));
  EXPECT_EQ(cell("SELECT count(*) FROM epochs"), "1");

  const auto missing = sweep({"rm", "--run", "0123456789abcdef", "--db", db.string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(contains(missing.err, "no run with run key '0123456789abcdef'")) << missing.err;
  // The run left is run again by the file: the deleted ones come back as new runs.
  const auto plan = sweep({"plan", file.string(), "--db", db.string()});
  EXPECT_TRUE(contains(plan.out, "2 to run (2 new)")) << plan.out;
}

// More than 10 runs: without a terminal and without --yes rm refuses and deletes nothing; --yes deletes.
TEST_F(Manage, RmOfManyRunsNeedsYesWithoutATerminal) {
  const auto file = write("many.toml", tiny_sweep("many", 421, "lr = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]\n"
                                                               "batch_size = [16, 32]"));
  // One run runs; the other 11 are stored pending.
  run_ok({"run", file.string(), "--db", db.string(), "--where", "lr = 0.01 AND batch_size = 16"});
  ASSERT_EQ(cell("SELECT count(*) FROM runs"), "12");
  const auto refused = sweep({"rm", "many", "--db", db.string()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(contains(refused.err, "would delete 12 runs")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "--yes")) << refused.err;
  EXPECT_EQ(cell("SELECT count(*) FROM runs"), "12");
  const auto yes = sweep({"rm", "many", "--db", db.string(), "--yes"});
  EXPECT_EQ(yes.exit_code, 0) << yes.err;
  EXPECT_EQ(cell("SELECT count(*) FROM runs"), "0");
  EXPECT_EQ(cell("SELECT count(*) FROM sweeps"), "0");
}

// A plain DELETE on a connection without foreign keys (the sqlite3 shell's default) leaves no orphan rows.
TEST_F(Manage, APlainDeleteWithoutForeignKeysLeavesNoOrphans) {
  const auto file = write("p.toml", tiny_sweep("plain", 431, "lr = [0.05, 0.1]"));
  run_ok({"run", file.string(), "--db", db.string()});
  ASSERT_EQ(cell("SELECT count(*) FROM epochs"), "2");
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(handle, "PRAGMA foreign_keys = OFF; DELETE FROM runs WHERE lr = 0.1", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  EXPECT_EQ(cell("SELECT count(*) FROM epochs"), "1");
  EXPECT_EQ(sqlite3_exec(handle, "DELETE FROM sweeps", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
  EXPECT_EQ(cell("SELECT count(*) FROM runs"), "0");
  EXPECT_EQ(cell("SELECT count(*) FROM epochs"), "0");
  EXPECT_EQ(cell("SELECT count(*) FROM run_metrics"), "0");
}

// A copy of a sweep file under another name, or a file with another matrix under the same sweep name, is refused
// naming both files; --into-existing adds its runs and records the new file.
TEST_F(Manage, ASweepNameOfAnotherFileOrMatrixIsRefusedUnlessIntoExisting) {
  const auto first = write("first.toml", tiny_sweep("shared", 441, "lr = [0.1]"));
  run_ok({"run", first.string(), "--db", db.string()});
  const auto copy = write("copy.toml", tiny_sweep("shared", 441, "lr = [0.1, 0.2]"));
  const auto refused = sweep({"run", copy.string(), "--db", db.string()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(contains(refused.err, first.string())) << refused.err;
  EXPECT_TRUE(contains(refused.err, copy.string())) << refused.err;
  EXPECT_TRUE(contains(refused.err, "--into-existing")) << refused.err;
  const auto plan = sweep({"plan", copy.string(), "--db", db.string()});
  EXPECT_TRUE(contains(plan.out, "Note: sweep 'shared'")) << plan.out;
  EXPECT_EQ(cell("SELECT count(*) FROM runs"), "1");

  // The same file with a matrix sharing no run with the stored sweep.
  write("first.toml", tiny_sweep("shared", 442, "lr = [0.3]"));
  const auto other_matrix = sweep({"run", first.string(), "--db", db.string()});
  EXPECT_EQ(other_matrix.exit_code, 2);
  EXPECT_TRUE(contains(other_matrix.err, "a different matrix")) << other_matrix.err;

  run_ok({"run", copy.string(), "--db", db.string(), "--into-existing"});
  EXPECT_EQ(cell("SELECT count(*) FROM runs"), "2");
  EXPECT_EQ(cell("SELECT file FROM sweeps"), copy.string());
  // The same file again (its matrix shares runs): no refusal.
  run_ok({"run", copy.string(), "--db", db.string()});
}

// --set changes every run like the file would (run key, stored config), an axis's list is replaced, and a bad key or
// value is refused naming it.
TEST_F(Manage, SetOverridesASettingOfEveryRunCheckedLikeTheFile) {
  const auto file = write("s.toml", tiny_sweep("set", 451, "lr = [0.05, 0.1]"));
  run_ok({"run", file.string(), "--db", db.string(), "--set", "momentum=0.5", "--set", "lr=[0.2]"});
  EXPECT_EQ(query(db, "SELECT lr, json_extract(config, '$.momentum') FROM runs"), (Rows{{"0.2", "0.5"}}));
  const auto plain = write("plain.toml", tiny_sweep("plain", 451, "lr = [0.2]", "momentum = 0.5\n"));
  const auto plan = sweep({"plan", plain.string(), "--db", db.string()});
  EXPECT_TRUE(contains(plan.out, cell("SELECT run_key FROM runs"))) << plan.out;  // the same run key as the file's

  const auto unknown = sweep({"plan", file.string(), "--set", "momentun=0.5"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "--set momentun=0.5: unknown setting 'momentun' (did you mean 'momentum'?)"))
      << unknown.err;
  const auto range = sweep({"plan", file.string(), "--set", "lr=-1"});
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_TRUE(contains(range.err, "--set lr=-1: lr = -1 is out of range")) << range.err;
  const auto type = sweep({"plan", file.string(), "--set", "epochs=many"});
  EXPECT_EQ(type.exit_code, 2);
  EXPECT_TRUE(contains(type.err, "--set epochs=many")) << type.err;
  const auto word = sweep({"plan", file.string(), "--db", (dir / "w.db").string(), "--set", "activation=leaky_relu"});
  EXPECT_EQ(word.exit_code, 0) << word.err;
}

// --only and --where restrict run to some runs; a key or filter matching none is an error; with --force only those
// run again.
TEST_F(Manage, OnlyAndWhereRestrictTheRunsRun) {
  const auto file = write("o.toml", tiny_sweep("only", 461, "lr = [0.05, 0.1, 0.2]"));
  run_ok({"run", file.string(), "--db", db.string(), "--where", "lr = 0.1"});
  EXPECT_EQ(query(db, "SELECT lr FROM runs WHERE status = 'done'"), (Rows{{"0.1"}}));
  const std::string key = cell("SELECT run_key FROM runs WHERE lr = 0.2");
  run_ok({"run", file.string(), "--db", db.string(), "--only", key});
  EXPECT_EQ(query(db, "SELECT lr FROM runs WHERE status = 'done' ORDER BY lr"), (Rows{{"0.1"}, {"0.2"}}));
  const std::string finished = cell("SELECT finished_at FROM runs WHERE lr = 0.1");
  run_ok({"run", file.string(), "--db", db.string(), "--only", key, "--force"});
  EXPECT_EQ(cell("SELECT finished_at FROM runs WHERE lr = 0.1"), finished);  // not run again

  const auto no_key = sweep({"run", file.string(), "--db", db.string(), "--only", "0123456789abcdef"});
  EXPECT_EQ(no_key.exit_code, 2);
  EXPECT_TRUE(contains(no_key.err, "--only 0123456789abcdef")) << no_key.err;
  const auto no_match = sweep({"run", file.string(), "--db", db.string(), "--where", "lr = 7"});
  EXPECT_EQ(no_match.exit_code, 2);
  EXPECT_TRUE(contains(no_match.err, "--where \"lr = 7\" matches none")) << no_match.err;
  const auto bad_column = sweep({"run", file.string(), "--db", db.string(), "--where", "lrr = 7"});
  EXPECT_EQ(bad_column.exit_code, 2);
  EXPECT_TRUE(contains(bad_column.err, "no such column: lrr")) << bad_column.err;
  EXPECT_EQ(cell("SELECT count(*) FROM runs WHERE status = 'pending'"), "1");
}

// A failed run shows in plan as failed with the option that runs it again, not as to run; run agrees.
TEST_F(Manage, PlanShowsAFailedRunAsRunRunsIt) {
  const auto slow = write("t.toml", tiny_sweep("fails", 471, "epochs = [100000]", "") + "[launch]\ntimeout = 2\n");
  const auto run = sweep({"run", slow.string(), "--db", db.string()});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const auto plan = sweep({"plan", slow.string(), "--db", db.string()});
  EXPECT_TRUE(contains(plan.out, "timeout (use --retry-failed)")) << plan.out;
  EXPECT_TRUE(contains(plan.out, "1 runs, 0 done, 0 to run (0 new);")) << plan.out;
  EXPECT_TRUE(contains(plan.out, "1 failed or timed out, not run again unless given --retry-failed")) << plan.out;
  const auto again = sweep({"run", slow.string(), "--db", db.string()});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(contains(again.out, "not run again")) << again.out;
}

// An unknown subcommand is named with the list of subcommands, exit code 2, by both tools.
TEST_F(Manage, AnUnknownSubcommandIsNamedWithTheList) {
  const auto sweep_delete = sweep({"delete", "x"});
  EXPECT_EQ(sweep_delete.exit_code, 2);
  EXPECT_TRUE(contains(sweep_delete.err, "unknown subcommand 'delete' (the subcommands are: plan, run,"))
      << sweep_delete.err;
  EXPECT_TRUE(contains(sweep_delete.err, "rm")) << sweep_delete.err;
  const auto report = invoke({kReportExe, "tabel"});
  EXPECT_NE(report.exit_code, 0);
  EXPECT_TRUE(contains(report.err, "unknown subcommand 'tabel' (the subcommands are: markdown, csv,")) << report.err;
}

// A clean exit leaves the database alone in its folder: no -wal, -shm or lock file, no sweep_locks row.
TEST_F(Manage, ACleanExitLeavesNoLockOrJournalFileBehind) {
  const auto file = write("clean.toml", tiny_sweep("clean", 481, "lr = [0.1]"));
  run_ok({"run", file.string(), "--db", db.string()});
  EXPECT_EQ(leftovers(), (std::vector<std::string>{"results.db"}));
  EXPECT_EQ(cell("SELECT count(*) FROM sweep_locks"), "0");
  run_ok({"rm", "clean", "--db", db.string()});
  EXPECT_EQ(leftovers(), (std::vector<std::string>{"results.db"}));
  EXPECT_EQ(sweep({"status", "--db", db.string()}).exit_code, 0);
  EXPECT_EQ(leftovers(), (std::vector<std::string>{"results.db"}));
}
