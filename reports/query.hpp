// Read-only SQL queries on a results database.
#pragma once

#include <string>

#include "reports/table.hpp"

namespace iddl::reports {

// Runs one SQL statement on the database at db_path, opened read-only (a missing file is an
// error, never created), and returns its rows: NULL as "", numeric columns right-aligned.
// A statement that could write (INSERT, UPDATE, PRAGMA x = y, ...) is refused.
Table run_query(const std::string& db_path, const std::string& sql);

}  // namespace iddl::reports
