#include "reports/table.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace iddl::reports {
namespace {

Table sample() {
  Table table;
  table.columns = {{"model", Align::Left}, {"accuracy", Align::Right}};
  table.add_row({"mlp", "87.50%"});
  table.add_row({"a|b", "1\n2"});
  return table;
}

TEST(reports_table, MarkdownHasHeaderAlignmentRowAndEscapedCells) {
  EXPECT_EQ(render_markdown(sample()),
            "| model | accuracy |\n"
            "|---|---:|\n"
            "| mlp | 87.50% |\n"
            "| a\\|b | 1<br>2 |\n");
}

TEST(reports_table, MarkdownOfAnEmptyTableIsItsHeader) {
  Table table;
  table.columns = {{"x", Align::Right}};
  EXPECT_EQ(render_markdown(table), "| x |\n|---:|\n");
}

TEST(reports_table, CsvQuotesOnlyCellsThatNeedIt) {
  Table table;
  table.columns = {{"name"}, {"note"}};
  table.add_row({"plain", "a, \"quoted\" b"});
  EXPECT_EQ(render_csv(table), "name,note\nplain,\"a, \"\"quoted\"\" b\"\n");
}

TEST(reports_table, RowWidthMustMatchTheColumns) {
  Table table;
  table.columns = {{"a"}, {"b"}};
  EXPECT_THROW(table.add_row({"only one"}), std::invalid_argument);
}

}  // namespace
}  // namespace iddl::reports
