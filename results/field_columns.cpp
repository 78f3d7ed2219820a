#include "results/field_columns.hpp"

#include <map>
#include <stdexcept>

namespace iddl::results {

namespace {

// Column name -> declared SQL type of a table.
std::map<std::string, std::string> declared_columns(Database& db, const std::string& table) {
  Statement select = db.prepare("SELECT name, type FROM pragma_table_info(?1)");
  select.bind_text(1, table);
  std::map<std::string, std::string> columns;
  while (select.step()) columns.emplace(select.column_text(0), select.column_text(1));
  return columns;
}

}  // namespace

std::vector<std::string> column_tables(const EventField& field) {
  if (field.stored == Stored::EpochKey) return {"epochs"};
  if (field.stored != Stored::Column) return {};
  std::vector<std::string> tables;
  if ((field.events & kEpoch) != 0) tables.push_back("epochs");
  if ((field.events & (kConfig | kRunStarted | kRunFinished)) != 0) tables.push_back("runs");
  return tables;
}

void require_field_columns(Database& db) {
  std::map<std::string, std::map<std::string, std::string>> tables;
  for (const EventField& field : kEventFields) {
    for (const std::string& table : column_tables(field)) {
      if (tables.count(table) == 0) tables.emplace(table, declared_columns(db, table));
      const auto& columns = tables.at(table);
      const auto found = columns.find(field.name);
      const std::string column = table + "." + field.name;
      if (found == columns.end())
        throw std::runtime_error(db.path() + ": no column " + column + " for the field of results/fields.hpp");
      if (found->second != sql_type(field.kind))
        throw std::runtime_error(db.path() + ": column " + column + " is " + found->second + ", the field needs " +
                                 sql_type(field.kind));
    }
  }
}

}  // namespace iddl::results
