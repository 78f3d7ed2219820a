// A --where expression is one SQL expression: injection forms are refused, not pasted into the SQL
// (issue 22 item 8), through the runs every report reads and through the iddl-report executable.
#include "reports/where_clause.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "reports/json_report.hpp"
#include "results/schema.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

// The runs the selection picks, by run key.
std::vector<std::string> keys_where(const std::string& path, const std::string& where) {
  results::Database db = results::open_for_reading(path);
  std::vector<std::string> keys;
  for (const auto& run : runs_json(db, {std::nullopt, where}, std::nullopt)) keys.push_back(run.at("run_key"));
  return keys;
}

TEST(reports_where, InjectionFormsAreRefusedBeforeAnythingRuns) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  test_support::write_sample_db(path);
  for (const std::string where :
       {"1) LIMIT (1", "1) UNION SELECT * FROM runs WHERE (1", "1); DROP TABLE runs; --", "status = 'done' --",
        "1 /* comment", "(ranks = 2", "ranks = 2)", "name = 'x", "\"status = 1", "[status = 1",
        "1) OR (1"}) {
    try {
      keys_where(path, where);
      ADD_FAILURE() << "accepted " << where;
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("bad where expression \"" + where + "\""), std::string::npos)
          << error.what();
    }
  }
  EXPECT_EQ(keys_where(path, "1").size(), 6u) << "the runs are all there";
}

TEST(reports_where, ExpressionsWithParenthesesStringsAndSubqueriesWork) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  test_support::write_sample_db(path);
  EXPECT_EQ(keys_where(path, "(ranks = 2) AND (status = 'done') AND lr < 0.1"),
            (std::vector<std::string>{"sync-1", "sync-2"}));
  EXPECT_EQ(keys_where(path, "run_key IN (SELECT run_key FROM runs WHERE ranks = 1 AND sweep_id = 1)"),
            (std::vector<std::string>{"single-1"}));
  EXPECT_EQ(keys_where(path, "error = 'it''s (broken' OR run_key = 'only-1'"), (std::vector<std::string>{"only-1"}));
  EXPECT_NO_THROW(check_where_expression("\"ranks\" = 2 AND [status] = 'done' AND `lr` > 0"));
}

}  // namespace
}  // namespace iddl::reports
