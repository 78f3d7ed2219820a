#include "reports/query.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <vector>

#include "results/schema.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

namespace {

bool is_numeric(results::ValueType type) {
  return type == results::ValueType::Integer || type == results::ValueType::Real;
}

// sql prepared on db; a statement that writes or sets a PRAGMA throws std::invalid_argument.
results::Statement prepare_read_only(results::Database& db, const std::string& sql) {
  const std::string refusal = db.path() + ": refusing a statement that writes (queries are read-only): " + sql;
  db.refuse_pragma_changes();
  try {
    results::Statement statement = db.prepare(sql);
    if (!statement.is_read_only()) throw std::invalid_argument(refusal);
    return statement;
  } catch (const results::SqliteError& error) {
    if (error.sqlite_message() == "not authorized") throw std::invalid_argument(refusal);
    throw;
  }
}

// The rows of statement: NULL as "", columns holding only numbers right-aligned.
Table rows_of(results::Statement& statement) {
  Table table;
  const int width = statement.column_count();
  for (int column = 0; column < width; ++column) table.columns.push_back({statement.column_name(column), Align::Left});
  std::vector<bool> has_number(static_cast<size_t>(width), false);
  std::vector<bool> has_text(static_cast<size_t>(width), false);
  while (statement.step()) {
    std::vector<std::string> cells;
    for (int column = 0; column < width; ++column) {
      const results::ValueType type = statement.column_type(column);
      if (is_numeric(type)) has_number[static_cast<size_t>(column)] = true;
      if (type == results::ValueType::Text || type == results::ValueType::Blob) has_text[static_cast<size_t>(column)] = true;
      cells.push_back(statement.column_text(column));
    }
    table.add_row(std::move(cells));
  }
  for (size_t column = 0; column < table.columns.size(); ++column) {
    if (has_number[column] && !has_text[column]) table.columns[column].align = Align::Right;  // all values numeric
  }
  return table;
}

}  // namespace

Table run_query(const std::string& db_path, const std::string& sql, std::chrono::milliseconds time_limit) {
  results::Database db(db_path, results::Database::Mode::ReadOnly);
  results::configure_connection(db);
  results::Statement statement = prepare_read_only(db, sql);
  db.set_time_limit(time_limit);
  try {
    return rows_of(statement);
  } catch (const results::SqliteError& error) {
    if (error.sqlite_message() != "interrupted") throw;
    throw std::runtime_error(fmt::format("{}: the query ran longer than its time limit of {:g} s and was stopped "
                                         "(iddl-report query --timeout SECONDS)",
                                         db_path, static_cast<double>(time_limit.count()) / 1000.0));
  }
}

}  // namespace iddl::reports
