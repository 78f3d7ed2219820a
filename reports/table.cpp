#include "reports/table.hpp"

#include <stdexcept>

namespace iddl::reports {

namespace {

std::string markdown_cell(const std::string& text) {
  std::string cell;
  for (const char c : text) {
    if (c == '|') {
      cell += "\\|";
    } else if (c == '\n') {
      cell += "<br>";
    } else if (c != '\r') {
      cell += c;
    }
  }
  return cell;
}

std::string markdown_line(const std::vector<std::string>& cells) {
  std::string line = "|";
  for (const std::string& cell : cells) line += " " + markdown_cell(cell) + " |";
  return line + "\n";
}

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string cell = "\"";
  for (const char c : text) cell += c == '"' ? std::string("\"\"") : std::string(1, c);
  return cell + "\"";
}

std::string csv_line(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) line += (i == 0 ? "" : ",") + csv_cell(cells[i]);
  return line + "\n";
}

std::vector<std::string> headers(const Table& table) {
  std::vector<std::string> names;
  for (const Column& column : table.columns) names.push_back(column.name);
  return names;
}

}  // namespace

void Table::add_row(std::vector<std::string> cells) {
  if (cells.size() != columns.size()) {
    throw std::invalid_argument("table row has " + std::to_string(cells.size()) + " cells for " +
                                std::to_string(columns.size()) + " columns");
  }
  rows.push_back(std::move(cells));
}

std::string render_markdown(const Table& table) {
  std::string text = markdown_line(headers(table));
  text += "|";
  for (const Column& column : table.columns) text += column.align == Align::Right ? "---:|" : "---|";
  text += "\n";
  for (const auto& row : table.rows) text += markdown_line(row);
  return text;
}

std::string render_csv(const Table& table) {
  std::string text = csv_line(headers(table));
  for (const auto& row : table.rows) text += csv_line(row);
  return text;
}

}  // namespace iddl::reports
