// A small RAII wrapper over the SQLite C API. Every error throws std::runtime_error carrying
// the database path and SQLite's error text.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace iddl::results {

// An error SQLite reported: what() names the file and the SQL; sqlite_message() is SQLite's own text.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(const std::string& what, std::string sqlite_message);
  const std::string& sqlite_message() const;  // e.g. "no such column: x"

 private:
  std::string sqlite_message_;
};

// The storage class of one value in a result row.
enum class ValueType { Null, Integer, Real, Text, Blob };

// One prepared SQL statement; bind parameters (1-based), step through rows, read columns (0-based).
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, std::string db_path);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind_int(int index, int64_t value);              // binds an integer
  Statement& bind_real(int index, double value);              // binds a floating-point number
  Statement& bind_text(int index, const std::string& value);  // binds a text value (copied)
  Statement& bind_null(int index);                            // binds NULL

  bool step();      // advances: true when a row is available, false when the statement is done
  void run();       // steps a statement that returns no rows to completion
  void reset();     // rewinds to run again; bindings are kept

  int column_count() const;                    // number of result columns
  std::string column_name(int column) const;   // name of a result column
  ValueType column_type(int column) const;     // storage class of the current row's value
  bool column_is_null(int column) const;       // whether the current row's value is NULL
  int64_t column_int(int column) const;        // value as an integer
  double column_real(int column) const;        // value as a floating-point number
  std::string column_text(int column) const;   // value as text ("" for NULL)

  bool is_read_only() const;  // true when the statement cannot change the database
  std::string sql() const;    // the statement's SQL text

 private:
  [[noreturn]] void fail(const std::string& what) const;
  void check_bind(int rc, int index) const;

  sqlite3_stmt* stmt_;
  std::string db_path_;
};

// One connection to a database file.
class Database {
 public:
  enum class Mode {
    ReadWriteCreate,  // opens for writing, creating the file when missing
    ReadOnly          // opens for reading; a missing file is an error, never created; on a read-only
                      // directory or mount where SQLite cannot create the WAL index, opened immutable; closing
                      // the file's last connection removes the -wal and -shm files (as a writer's close does)
  };

  // Opens path (a file name, or a "file:" URI); a directory is an error naming it.
  explicit Database(const std::string& path, Mode mode = Mode::ReadWriteCreate);
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&&) = delete;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql);            // runs one or more statements, discarding rows
  Statement prepare(const std::string& sql);    // compiles exactly one statement
  int changes() const;                          // rows changed by the last statement
  void set_busy_timeout(int milliseconds);      // how long to wait for another writer's lock
  void set_time_limit(std::chrono::milliseconds limit);  // statements stepped after this long fail as interrupted
  void refuse_pragma_changes();  // statements prepared from now on may not set a PRAGMA ("not authorized")
  const std::string& path() const;              // the path this connection was opened with
  std::string file_name() const;                // the absolute name of the file SQLite opened

 private:
  friend class Transaction;
  void run_cached(sqlite3_stmt*& slot, const char* sql);  // runs sql, prepared once into slot

  sqlite3* db_ = nullptr;
  std::string path_;
  // set_time_limit's end, at a fixed address for SQLite's progress handler.
  std::unique_ptr<std::chrono::steady_clock::time_point> deadline_;
  sqlite3_stmt* begin_ = nullptr;     // BEGIN IMMEDIATE
  sqlite3_stmt* commit_ = nullptr;    // COMMIT
  sqlite3_stmt* rollback_ = nullptr;  // ROLLBACK
  bool tidy_on_close_ = false;        // a read-only connection on a file: remove the -wal and -shm it leaves
};

// A write transaction (BEGIN IMMEDIATE) that rolls back on destruction unless committed. Its
// statements are prepared once per connection. Waiting for another writer's lock, it tries again
// after each busy timeout, up to 12 of them (a minute at the default 5 s).
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();  // makes the transaction's writes permanent

 private:
  Database& db_;
  bool committed_ = false;
};

}  // namespace iddl::results
