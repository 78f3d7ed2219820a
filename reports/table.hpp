// A table of text cells and its renderings (GitHub markdown, CSV).
#pragma once

#include <string>
#include <vector>

namespace iddl::reports {

// How a column's cells line up in markdown.
enum class Align { Left, Right };

// One column: its header and alignment.
struct Column {
  std::string name;
  Align align = Align::Left;
};

// Column headers and rows of cells (one cell per column).
struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> rows;

  void add_row(std::vector<std::string> cells);  // appends a row; throws unless it has one cell per column
};

// A GitHub markdown table: "| a | b |", "|---|---:|", then one line per row; pipes in cells
// are escaped and line breaks become <br>.
std::string render_markdown(const Table& table);

// CSV with RFC 4180 quoting: a header line, then one line per row; cells holding commas, quotes or line
// breaks are quoted.
std::string render_csv(const Table& table);

}  // namespace iddl::reports
