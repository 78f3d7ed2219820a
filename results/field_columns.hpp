// The columns the field contract (results/fields.hpp) needs in a results database.
#pragma once

#include <string>
#include <vector>

#include "results/fields.hpp"
#include "results/sqlite.hpp"

namespace iddl::results {

// The tables holding a field's column: "epochs" for an epoch field, "runs" for a setting, a
// run_started or a run_finished field (both for a field of an epoch and of run_finished); none
// when it is not stored as a column.
std::vector<std::string> column_tables(const EventField& field);

// Throws, naming the file, the table and the column, unless every field the contract stores as a
// column has one of its SQL type in each of its tables.
void require_field_columns(Database& db);

}  // namespace iddl::results
