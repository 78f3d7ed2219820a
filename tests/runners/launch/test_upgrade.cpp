// Results outlive upgrades: a database written by an earlier release (tests/fixtures/quickstart-v4.db,
// sweeps/quickstart.toml run by the release with schema version 4) is upgraded in place, and running the
// same sweep file again runs nothing and reports the same; an edited sweep file leaves stale runs, which
// `plan` names and reports leave out unless asked.
#include <filesystem>
#include <fstream>
#include <iterator>

#include "results/schema.hpp"
#include "tests/support/sweep_folder.hpp"

namespace fs = std::filesystem;
using namespace iddl::testing;

namespace {

const std::string kSource = IDDL_SOURCE_DIR;

std::string text_of(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Invocation report(const std::vector<std::string>& args) {
  std::vector<std::string> argv{std::string(IDDL_BIN_DIR) + "/iddl-report"};
  argv.insert(argv.end(), args.begin(), args.end());
  return invoke(argv);
}

// What an upgrade must keep of every run: everything but its key and the columns added since.
const char* const kStored =
    "SELECT r.id, r.status, r.config, r.test_accuracy, r.train_time_s, r.bytes_sent, r.finished_at, "
    "(SELECT group_concat(e.epoch || ':' || e.test_accuracy || ':' || e.train_loss) FROM epochs e WHERE e.run_id = r.id), "
    "(SELECT group_concat(m.name || '=' || m.value) FROM run_metrics m WHERE m.run_id = r.id) FROM runs r ORDER BY r.id";

class Upgrade : public SweepFolderTest {};

TEST_F(Upgrade, TheSameSweepFileRunsNothingAndReportsTheSame) {
  fs::copy_file(kSource + "/tests/fixtures/quickstart-v4.db", db);
  const auto before = query(db, kStored);
  ASSERT_EQ(before.size(), 4u);

  const auto plan = sweep({"plan", kSource + "/sweeps/quickstart.toml", "--db", db.string()});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_NE(plan.out.find("4 runs, 4 done, 0 to run (0 new); 0 stored run(s) no longer in the file"), std::string::npos)
      << plan.out;

  const auto run = sweep({"run", kSource + "/sweeps/quickstart.toml", "--db", db.string()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("0 done, 0 failed, 0 timed out, 0 interrupted, 4 not run again"), std::string::npos)
      << run.out;
  EXPECT_EQ(query(db, kStored), before);
  EXPECT_EQ(query(db, "PRAGMA user_version"), (std::vector<std::vector<std::string>>{{std::to_string(iddl::results::kSchemaVersion)}}));

  const auto markdown = report({"markdown", "--db", db.string(), "--sweep", "quickstart"});
  ASSERT_EQ(markdown.exit_code, 0) << markdown.err;
  EXPECT_EQ(markdown.out, text_of(kSource + "/tests/fixtures/quickstart-v4.report.md"));
}

std::string tiny_sweep(const std::string& lrs) {
  return "[sweep]\nname = \"edited\"\n[base]\ndataset = \"synthetic\"\ntrain_samples = 128\ntest_samples = 64\n"
         "hidden = [8]\nbatch_size = 32\nepochs = 1\nthreads = 1\n[matrix]\nlr = " + lrs + "\n";
}

TEST_F(Upgrade, AnEditedSweepFileLeavesStaleRunsThatReportsLeaveOut) {
  const auto file = write("edited.toml", tiny_sweep("[0.02, 0.1]"));
  ASSERT_EQ(sweep({"run", file.string(), "--db", db.string()}).exit_code, 0);
  write("edited.toml", tiny_sweep("[0.1, 0.2]"));

  const auto plan = sweep({"plan", file.string(), "--db", db.string()});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("2 runs, 1 done, 1 to run (1 new); 1 stored run(s) no longer in the file"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("| done | {batch_size = 32, dataset = \"synthetic\", epochs = 1, hidden = [8], lr = 0.02,"), std::string::npos) << plan.out;  // the stale run, by its settings

  const auto run = sweep({"run", file.string(), "--db", db.string()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("1 stored run(s) that " + file.string() + " no longer plans are kept as stale"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(query(db, "SELECT lr, in_plan, status FROM runs ORDER BY lr"),
            (std::vector<std::vector<std::string>>{{"0.02", "0", "done"}, {"0.1", "1", "done"}, {"0.2", "1", "done"}}));

  const auto current = report({"csv", "--db", db.string(), "--sweep", "edited", "--group-by", "lr"});
  ASSERT_EQ(current.exit_code, 0) << current.err;
  EXPECT_EQ(current.out.find("0.02"), std::string::npos) << current.out;
  const auto markdown = report({"markdown", "--db", db.string(), "--sweep", "edited"});
  EXPECT_NE(markdown.out.find("1 stale run(s) left out"), std::string::npos) << markdown.out;
  const auto with_stale = report({"markdown", "--db", db.string(), "--sweep", "edited", "--stale"});
  EXPECT_NE(with_stale.out.find("0.02"), std::string::npos) << with_stale.out;
  EXPECT_NE(with_stale.out.find("includes 1 stale run(s)"), std::string::npos) << with_stale.out;
}

TEST_F(Upgrade, MergeBringsAnotherDatabaseOnceAndSaysWhat) {
  const fs::path other = dir / "other.db";  // a copy: a reader of a WAL database leaves -wal and -shm files
  fs::copy_file(kSource + "/tests/fixtures/quickstart-v4.db", other);
  const auto first = sweep({"merge", other.string(), "--db", db.string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("1 sweep(s) added, 4 run(s) added, 0 replaced"), std::string::npos) << first.out;
  const auto again = sweep({"merge", other.string(), "--db", db.string()});
  EXPECT_NE(again.out.find("0 sweep(s) added, 0 run(s) added, 0 replaced by a more trusted result, 4 already present"),
            std::string::npos)
      << again.out;
  const auto missing = sweep({"merge", (dir / "none.db").string(), "--db", db.string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("none.db: no such database to merge"), std::string::npos) << missing.err;
}

}  // namespace
