// Read-only SQL queries on a results database.
#pragma once

#include <chrono>
#include <string>

#include "reports/table.hpp"

namespace iddl::reports {

// Runs one SQL statement on the database at db_path, opened read-only (a missing file is an
// error, never created), and returns its rows: NULL as "", numeric columns right-aligned.
// A statement that could write (INSERT, UPDATE, PRAGMA x = y, ...) is refused; one still running after
// time_limit is stopped with an error saying so.
Table run_query(const std::string& db_path, const std::string& sql,
                std::chrono::milliseconds time_limit = std::chrono::seconds(10));

}  // namespace iddl::reports
