#include "results/sqlite.hpp"

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <utility>

namespace iddl::results {

namespace {

// How long a new connection waits for another connection's lock before SQLite says it is busy.
constexpr int kDefaultBusyTimeoutMs = 5000;
// How many busy timeouts a write transaction waits for the write lock.
constexpr int kBeginAttempts = 12;

bool is_uri(const std::string& path) { return path.rfind("file:", 0) == 0; }

// "file:/abs/path?immutable=1", '%', '?' and '#' escaped: the file read as if nobody could change it.
std::string immutable_uri(const std::string& path) {
  std::string uri = "file:";
  for (const char c : std::filesystem::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#') {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
      uri += escaped;
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

// The first line of sql, at most 100 characters: errors quote a statement, not a whole script.
std::string sql_excerpt(const std::string& sql) {
  const auto start = sql.find_first_not_of(" \n");
  const std::string text = start == std::string::npos ? sql : sql.substr(start);
  const std::string line = text.substr(0, text.find('\n'));
  const bool cut = line.size() > 100 || line.size() < text.size();
  return line.substr(0, 100) + (cut ? " ..." : "");
}

// Opens path with flags and the default busy timeout; throws naming the file when SQLite cannot.
sqlite3* open_connection(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_URI, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw SqliteError(path + ": cannot open database: " + detail, detail);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kDefaultBusyTimeoutMs);
  return db;
}

// The result code of reading the schema: where a read-only connection first needs the WAL index.
int probe_read(sqlite3* db) { return sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr); }

// Whether a read failed because SQLite could not create or write what a WAL reader needs (the -shm
// file) in a read-only directory or on a read-only mount.
// Removes the -wal and -shm files a read-only connection leaves behind (it cannot delete them when it closes): a
// read-write connection that reads the schema and closes checkpoints the log and deletes both when it is the
// file's last connection; nothing happens when another connection is open or the file cannot be written.
void tidy_write_ahead_log(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path + "-wal", error) && !std::filesystem::exists(path + "-shm", error)) return;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK)
    sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  sqlite3_close(db);
}

bool needs_immutable(int rc) { return (rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_READONLY; }

// The PRAGMAs whose argument names what to read rather than a value to set.
bool reads_with_argument(const std::string& pragma) {
  for (const char* name : {"table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list",
                           "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check"})
    if (pragma == name) return true;
  return false;
}

// SQLite's authorizer: denies a PRAGMA given a value, unless that value only says what to read.
int deny_pragma_changes(void*, int action, const char* pragma, const char* argument, const char*, const char*) {
  if (action != SQLITE_PRAGMA || argument == nullptr) return SQLITE_OK;
  return reads_with_argument(pragma) ? SQLITE_OK : SQLITE_DENY;
}

int past_deadline(void* deadline) {
  return std::chrono::steady_clock::now() > *static_cast<std::chrono::steady_clock::time_point*>(deadline) ? 1 : 0;
}

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

Database::Database(const std::string& path, Mode mode)
    : path_(path), deadline_(std::make_unique<std::chrono::steady_clock::time_point>()) {
  if (!is_uri(path) && std::filesystem::is_directory(path)) {
    throw std::runtime_error(path + ": is a directory, not a database file");
  }
  if (mode == Mode::ReadWriteCreate) {
    db_ = open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    return;
  }
  if (!is_uri(path) && !std::filesystem::exists(path)) {
    throw std::runtime_error(path + ": no such database file");
  }
  db_ = open_connection(path, SQLITE_OPEN_READONLY);
  const int rc = probe_read(db_);
  tidy_on_close_ = !is_uri(path) && !needs_immutable(rc);
  if (is_uri(path) || !needs_immutable(rc)) return;  // other errors surface, with their SQL, on first use
  // A WAL reader needs the -shm file: where it cannot be made (a read-only directory or mount), nobody
  // can write the database either, so it is read as immutable, unless a -wal file holds commits the
  // file itself lacks.
  std::error_code error;
  const std::string wal = path + "-wal";
  if (std::filesystem::exists(wal, error) && std::filesystem::file_size(wal, error) > 0) {
    const std::string detail = sqlite3_errmsg(db_);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(path + ": cannot read the database: its folder or mount is read-only and its write-ahead log " +
                          wal + " cannot be read without creating " + path + "-shm (" + detail +
                          "); open it once with write access to fold the log into the file",
                      detail);
  }
  sqlite3_close(db_);
  db_ = nullptr;
  db_ = open_connection(immutable_uri(path), SQLITE_OPEN_READONLY);
}

Database::~Database() {
  sqlite3_finalize(begin_);
  sqlite3_finalize(commit_);
  sqlite3_finalize(rollback_);
  sqlite3_close(db_);
  if (db_ != nullptr && tidy_on_close_) tidy_write_ahead_log(path_);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      deadline_(std::move(other.deadline_)),
      begin_(std::exchange(other.begin_, nullptr)),
      commit_(std::exchange(other.commit_, nullptr)),
      rollback_(std::exchange(other.rollback_, nullptr)),
      tidy_on_close_(std::exchange(other.tidy_on_close_, false)) {}

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
    throw_error(path_, "SQL failed [" + sql_excerpt(sql) + "]", detail);
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

void Database::set_time_limit(std::chrono::milliseconds limit) {
  *deadline_ = std::chrono::steady_clock::now() + limit;
  sqlite3_progress_handler(db_, 1000, past_deadline, deadline_.get());
}

void Database::refuse_pragma_changes() { sqlite3_set_authorizer(db_, deny_pragma_changes, nullptr); }

const std::string& Database::path() const { return path_; }

std::string Database::file_name() const {
  const char* name = sqlite3_db_filename(db_, "main");
  return name != nullptr ? name : "";
}

// ---- Transaction ----

Transaction::Transaction(Database& db) : db_(db) {
  // BEGIN IMMEDIATE either takes the write lock or changes nothing, so when another writer keeps it
  // past the busy timeout (a long registration), it is tried again, up to kBeginAttempts timeouts.
  for (int attempt = 1;; ++attempt) {
    try {
      db_.run_cached(db_.begin_, "BEGIN IMMEDIATE");
      return;
    } catch (const SqliteError& error) {
      if (attempt == kBeginAttempts || error.sqlite_message() != "database is locked") throw;
    }
  }
}

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
