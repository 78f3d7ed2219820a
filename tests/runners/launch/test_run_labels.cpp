// `iddl-sweep tag` / `untag` / `note` through the built tools, on a database the store wrote: what they
// store, what they print, their errors, and reports selecting and showing what they stored.
#include "tests/reports/sample_db.hpp"
#include "tests/support/sweep_folder.hpp"

namespace {

using namespace iddl::testing;
using Rows = std::vector<std::vector<std::string>>;

Invocation report(const std::vector<std::string>& args) {
  std::vector<std::string> argv{std::string(IDDL_BIN_DIR) + "/iddl-report"};
  argv.insert(argv.end(), args.begin(), args.end());
  return invoke(argv);
}

class RunLabels : public SweepFolderTest {
 protected:
  void SetUp() override {
    SweepFolderTest::SetUp();
    iddl::test_support::write_sample_db(db.string());
  }
  Rows tags() { return query(db, "SELECT r.run_key, t.tag FROM run_tags t JOIN runs r ON r.id = t.run_id ORDER BY 1, 2"); }
};

TEST_F(RunLabels, TagAndUntagRuns) {
  const auto tagged = sweep({"tag", "sync-1", "sync-2", "baseline", "--db", db.string()});
  ASSERT_EQ(tagged.exit_code, 0) << tagged.err;
  EXPECT_EQ(tagged.out, "tagged 2 run(s) 'baseline' (0 had it already)\n");
  const auto again = sweep({"tag", "sync-1", "baseline", "--db", db.string()});
  EXPECT_EQ(again.out, "tagged 0 run(s) 'baseline' (1 had it already)\n");
  EXPECT_EQ(tags(), (Rows{{"sync-1", "baseline"}, {"sync-2", "baseline"}}));

  const auto selected = report({"json", "--db", db.string(), "--where", "tag = 'baseline'"});
  ASSERT_EQ(selected.exit_code, 0) << selected.err;
  EXPECT_EQ(nlohmann::json::parse(selected.out).size(), 2u) << selected.out;

  const auto untagged = sweep({"untag", "sync-2", "baseline", "--db", db.string()});
  ASSERT_EQ(untagged.exit_code, 0) << untagged.err;
  EXPECT_EQ(untagged.out, "took tag 'baseline' from 1 run(s) (0 did not have it)\n");
  const auto removed = sweep({"tag", "--remove", "sync-1", "baseline", "--db", db.string()});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(tags(), Rows{});
}

TEST_F(RunLabels, NoteARunAndShowIt) {
  const auto noted = sweep({"note", "single-1", "one rank: the reference", "--db", db.string()});
  ASSERT_EQ(noted.exit_code, 0) << noted.err;
  EXPECT_EQ(noted.out, "noted run single-1\n");
  EXPECT_EQ(query(db, "SELECT note FROM run_notes"), (Rows{{"one rank: the reference"}}));
  const auto shown = report({"show", "single-1", "--db", db.string()});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("note: one rank: the reference\n"), std::string::npos) << shown.out;
  const auto cleared = sweep({"note", "single-1", "", "--db", db.string()});
  EXPECT_EQ(cleared.out, "removed the note of run single-1\n");
  EXPECT_EQ(query(db, "SELECT count(*) FROM run_notes"), (Rows{{"0"}}));
}

TEST_F(RunLabels, UnknownRunKeysAreErrorsThatChangeNothing) {
  const auto unknown = sweep({"tag", "sync-1", "nope", "baseline", "--db", db.string()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no run with run key 'nope'"), std::string::npos) << unknown.err;
  EXPECT_EQ(tags(), Rows{});  // sync-1 was not tagged either
  const auto note = sweep({"note", "nope", "text", "--db", db.string()});
  EXPECT_EQ(note.exit_code, 2);
  EXPECT_NE(note.err.find("no run with run key 'nope'"), std::string::npos) << note.err;
  const auto no_tag = sweep({"tag", "sync-1", "--db", db.string()});
  EXPECT_EQ(no_tag.exit_code, 2);
  EXPECT_NE(no_tag.err.find("give one or more run keys, then the tag"), std::string::npos) << no_tag.err;
  const auto no_db = sweep({"tag", "sync-1", "x", "--db", (dir / "missing.db").string()});
  EXPECT_EQ(no_db.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.db"));
}

}  // namespace
