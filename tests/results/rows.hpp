// Every row of a query on a database file, as text cells, read with a fresh read-only connection.
#pragma once

#include <string>
#include <vector>

#include "results/sqlite.hpp"

namespace iddl::test_support {

using Rows = std::vector<std::vector<std::string>>;

// The rows of `sql` on the database at path, each cell as text ("NULL" for NULL).
inline Rows rows(const std::string& path, const std::string& sql) {
  results::Database db(path, results::Database::Mode::ReadOnly);
  results::Statement statement = db.prepare(sql);
  Rows out;
  while (statement.step()) {
    std::vector<std::string> row;
    for (int i = 0; i < statement.column_count(); ++i)
      row.push_back(statement.column_is_null(i) ? "NULL" : statement.column_text(i));
    out.push_back(row);
  }
  return out;
}

}  // namespace iddl::test_support
