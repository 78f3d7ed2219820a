#include "results/sqlite.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>
#include <utility>

namespace iddl::results {

namespace {

[[noreturn]] void throw_error(const std::string& db_path, const std::string& what, const std::string& detail) {
  throw SqliteError(db_path + ": " + what + ": " + detail, detail);
}

// Whether the SQL left after the first statement holds more than blanks and comments.
bool holds_another_statement(sqlite3* db, const char* tail) {
  sqlite3_stmt* next = nullptr;
  const int rc = sqlite3_prepare_v2(db, tail, -1, &next, nullptr);
  sqlite3_finalize(next);
  return rc != SQLITE_OK || next != nullptr;
}

}  // namespace

// ---- SqliteError ----

SqliteError::SqliteError(const std::string& what, std::string sqlite_message)
    : std::runtime_error(what), sqlite_message_(std::move(sqlite_message)) {}

const std::string& SqliteError::sqlite_message() const { return sqlite_message_; }

// ---- Statement ----

Statement::Statement(sqlite3_stmt* stmt, std::string db_path) : stmt_(stmt), db_path_(std::move(db_path)) {}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_path_(std::move(other.db_path_)) {}

void Statement::fail(const std::string& what) const {
  throw_error(db_path_, what + " [" + sql() + "]", sqlite3_errmsg(sqlite3_db_handle(stmt_)));
}

void Statement::check_bind(int rc, int index) const {
  if (rc != SQLITE_OK) fail("cannot bind parameter " + std::to_string(index));
}

Statement& Statement::bind_int(int index, int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind_real(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind_text(int index, const std::string& value) {
  check_bind(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT),
             index);
  return *this;
}

Statement& Statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail("statement failed");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() { sqlite3_reset(stmt_); }

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

std::string Statement::column_name(int column) const { return sqlite3_column_name(stmt_, column); }

ValueType Statement::column_type(int column) const {
  switch (sqlite3_column_type(stmt_, column)) {
    case SQLITE_INTEGER: return ValueType::Integer;
    case SQLITE_FLOAT: return ValueType::Real;
    case SQLITE_TEXT: return ValueType::Text;
    case SQLITE_BLOB: return ValueType::Blob;
    default: return ValueType::Null;
  }
}

bool Statement::column_is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t Statement::column_int(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::column_real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::is_read_only() const { return sqlite3_stmt_readonly(stmt_) != 0; }

std::string Statement::sql() const { return sqlite3_sql(stmt_); }

// ---- Database ----

Database::Database(const std::string& path, Mode mode) : path_(path) {
  if (mode == Mode::ReadOnly && !std::filesystem::exists(path)) {
    throw std::runtime_error(path + ": no such database file");
  }
  const int flags = mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    throw_error(path, "cannot open database", detail);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
  sqlite3_finalize(begin_);
  sqlite3_finalize(commit_);
  sqlite3_finalize(rollback_);
  sqlite3_close(db_);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      begin_(std::exchange(other.begin_, nullptr)),
      commit_(std::exchange(other.commit_, nullptr)),
      rollback_(std::exchange(other.rollback_, nullptr)) {}

void Database::run_cached(sqlite3_stmt*& slot, const char* sql) {
  if (slot == nullptr && sqlite3_prepare_v2(db_, sql, -1, &slot, nullptr) != SQLITE_OK) {
    throw_error(path_, std::string("cannot prepare [") + sql + "]", sqlite3_errmsg(db_));
  }
  const int rc = sqlite3_step(slot);
  const std::string detail = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
  sqlite3_reset(slot);
  if (rc != SQLITE_DONE) throw_error(path_, std::string("SQL failed [") + sql + "]", detail);
}

void Database::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string detail = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    throw_error(path_, "SQL failed [" + sql + "]", detail);
  }
}

Statement Database::prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, &tail) != SQLITE_OK) {
    throw_error(path_, "cannot prepare [" + sql + "]", sqlite3_errmsg(db_));
  }
  if (stmt == nullptr) throw_error(path_, "cannot prepare [" + sql + "]", "no SQL statement");
  Statement statement(stmt, path_);
  if (holds_another_statement(db_, tail)) {
    throw_error(path_, "cannot prepare [" + sql + "]", "more than one SQL statement");
  }
  return statement;
}

int Database::changes() const { return sqlite3_changes(db_); }

void Database::set_busy_timeout(int milliseconds) { sqlite3_busy_timeout(db_, milliseconds); }

const std::string& Database::path() const { return path_; }

// ---- Transaction ----

Transaction::Transaction(Database& db) : db_(db) { db_.run_cached(db_.begin_, "BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (committed_) return;
  try {
    db_.run_cached(db_.rollback_, "ROLLBACK");
  } catch (const std::exception&) {
    // SQLite already rolled back (e.g. after a failed COMMIT); nothing is left to undo.
  }
}

void Transaction::commit() {
  db_.run_cached(db_.commit_, "COMMIT");
  committed_ = true;
}

}  // namespace iddl::results
