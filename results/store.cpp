#include "results/store.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <stdexcept>

#include "matrix/axis_value.hpp"
#include "results/field_columns.hpp"
#include "results/fields.hpp"
#include "results/schema.hpp"
#include "results/sweep_status.hpp"

namespace iddl::results {

namespace {

using Field = EventField;

// Settings copied from the resolved config into their own columns at register time.
const std::vector<Field> kConfigFields = stored_columns(kConfig);

// Fields of the run_started event.
const std::vector<Field> kStartedFields = stored_columns(kRunStarted);

// Fields of the run_finished event.
const std::vector<Field> kFinishedFields = stored_columns(kRunFinished);

// The run_finished field holding the named metrics, an object of name -> number.
const char* const kMetricsField = field::metrics;

// Fields of the epoch event besides the epoch number.
const std::vector<Field> kEpochFields = stored_columns(kEpoch);

// The current time as ISO-8601 UTC text, e.g. 2024-05-01T12:34:56Z.
std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Binds object[field.name] at index: NULL when missing or null; throws naming the field when
// its type does not fit the column, prefixed by context() (built only then: ingest stays cheap).
template <typename Context>
void bind_field(Statement& statement, int index, const nlohmann::json& object, const Field& field,
                const Context& context) {
  const auto found = object.find(field.name);
  if (found == object.end() || found->is_null()) {
    statement.bind_null(index);
    return;
  }
  const nlohmann::json& value = *found;
  const auto wrong = [&](const char* expected) {
    return std::runtime_error(context() + ": field '" + field.name + "' must be " + expected + ", got " + value.dump());
  };
  switch (field.kind) {
    case Kind::Text:
      if (!value.is_string()) throw wrong("a string");
      statement.bind_text(index, value.get<std::string>());
      return;
    case Kind::Axis:
      if (!value.is_string() && !(value.is_object() && value.contains("method") && value["method"].is_string())) {
        throw wrong("an axis value (a method name or an object with a \"method\" string)");
      }
      statement.bind_text(index, matrix::axis_method(value));
      return;
    case Kind::Real:
      if (!value.is_number()) throw wrong("a number");
      statement.bind_real(index, value.get<double>());
      return;
    case Kind::Integer:
      if (value.is_number_integer() &&
          !(value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))) {
        statement.bind_int(index, value.get<int64_t>());
        return;
      }
      if (value.is_number_float() && std::trunc(value.get<double>()) == value.get<double>() &&
          std::abs(value.get<double>()) < 9.2e18) {
        statement.bind_int(index, static_cast<int64_t>(value.get<double>()));
        return;
      }
      throw wrong("an integer");
    case Kind::Object:
      if (!value.is_object()) throw wrong("an object");
      statement.bind_text(index, value.dump());
      return;
  }
}

// Binds the fields to consecutive parameters starting at first_index.
template <typename Context>
void bind_fields(Statement& statement, int first_index, const nlohmann::json& object, const std::vector<Field>& fields,
                 const Context& context) {
  for (size_t i = 0; i < fields.size(); ++i) {
    bind_field(statement, first_index + static_cast<int>(i), object, fields[i], context);
  }
}

// "a = COALESCE(?1, a), b = COALESCE(?2, b)": a missing field never erases a recorded value.
std::string keep_unless_given(const std::vector<Field>& fields) {
  std::string sql;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string name = fields[i].name;
    sql += (i == 0 ? "" : ", ") + name + " = COALESCE(?" + std::to_string(i + 1) + ", " + name + ")";
  }
  return sql;
}

// "a = NULL, b = NULL".
std::string cleared(const std::vector<Field>& fields) {
  std::string sql;
  for (const Field& field : fields) sql += std::string(sql.empty() ? "" : ", ") + field.name + " = NULL";
  return sql;
}

// "a, b, c".
std::string names(const std::vector<Field>& fields) {
  std::string sql;
  for (const Field& field : fields) sql += std::string(sql.empty() ? "" : ", ") + field.name;
  return sql;
}

// "?first, ?first+1, ...".
std::string placeholders(size_t count, int first) {
  std::string sql;
  for (size_t i = 0; i < count; ++i) sql += (i == 0 ? "?" : ", ?") + std::to_string(first + static_cast<int>(i));
  return sql;
}

// A writable connection to the database at path, migrated to the current schema.
Database open_current(const std::string& path) {
  Database db(path);
  configure_connection(db);
  migrate(db);
  require_field_columns(db);
  return db;
}

// "UPDATE runs SET <assignments> WHERE id = ?N" with N the parameter after the assignments' own.
std::string update_run_sql(const std::string& assignments, int id_index) {
  return "UPDATE runs SET " + assignments + " WHERE id = ?" + std::to_string(id_index);
}

// "a = COALESCE(excluded.a, a), ...": a repeated epoch event keeps what it does not report.
std::string keep_unless_given_again(const std::vector<Field>& fields) {
  std::string sql;
  for (const Field& field : fields) {
    const std::string name = field.name;
    sql += (sql.empty() ? "" : ", ") + name + " = COALESCE(excluded." + name + ", " + name + ")";
  }
  return sql;
}

const int kStartedIdIndex = static_cast<int>(kStartedFields.size()) + 1;
const int kFinishedTimeIndex = static_cast<int>(kFinishedFields.size()) + 1;

}  // namespace

Store::Store(const std::string& path)
    : db_(open_current(path)),
      start_attempt_(db_.prepare(update_run_sql(
          "status = 'running', started_at = ?1, finished_at = NULL, exit_code = NULL, error = NULL, "
          "stderr_tail = NULL, " + cleared(kStartedFields) + ", " + cleared(kFinishedFields), 2))),
      clear_epochs_(db_.prepare("DELETE FROM epochs WHERE run_id = ?1 AND epoch > "
                                "COALESCE((SELECT resumed_from_epoch FROM runs WHERE id = ?1), 0)")),
      clear_metrics_(db_.prepare("DELETE FROM run_metrics WHERE run_id = ?1")),
      update_started_(db_.prepare(update_run_sql(keep_unless_given(kStartedFields), kStartedIdIndex))),
      upsert_epoch_(db_.prepare("INSERT INTO epochs (run_id, epoch, " + names(kEpochFields) + ") VALUES (?1, ?2, " +
                                placeholders(kEpochFields.size(), 3) + ") ON CONFLICT (run_id, epoch) DO UPDATE SET " +
                                keep_unless_given_again(kEpochFields))),
      update_finished_(db_.prepare(update_run_sql(keep_unless_given(kFinishedFields) +
                                                      ", status = 'done', finished_at = ?" +
                                                      std::to_string(kFinishedTimeIndex),
                                                  kFinishedTimeIndex + 1))),
      upsert_metric_(db_.prepare("INSERT INTO run_metrics (run_id, name, value) VALUES (?1, ?2, ?3) "
                                 "ON CONFLICT (run_id, name) DO UPDATE SET value = excluded.value")),
      update_failure_(db_.prepare(
          update_run_sql("status = ?1, exit_code = ?2, error = ?3, stderr_tail = ?4, finished_at = ?5", 6))) {}

int64_t Store::register_sweep(const std::string& name, const std::string& file,
                              const std::vector<PlannedRunRow>& runs) {
  Transaction transaction(db_);
  Statement add_sweep =
      db_.prepare("INSERT INTO sweeps (name, file, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING");
  add_sweep.bind_text(1, name).bind_text(3, utc_now());
  if (file.empty()) {
    add_sweep.bind_null(2);
  } else {
    add_sweep.bind_text(2, file);
  }
  add_sweep.run();

  Statement find_sweep = db_.prepare("SELECT id FROM sweeps WHERE name = ?1");
  find_sweep.bind_text(1, name);
  find_sweep.step();
  const int64_t sweep_id = find_sweep.column_int(0);

  Statement add_run = db_.prepare("INSERT INTO runs (sweep_id, run_key, repeat, config, status, " +
                                  names(kConfigFields) + ") VALUES (?1, ?2, ?3, ?4, 'pending', " +
                                  placeholders(kConfigFields.size(), 5) +
                                  ") ON CONFLICT (sweep_id, run_key) DO NOTHING");
  for (const PlannedRunRow& run : runs) {
    const auto context = [&] { return db_.path() + ": sweep '" + name + "' run " + run.key + " config"; };
    if (!run.config.is_object()) throw std::runtime_error(context() + " is not a JSON object: " + run.config.dump());
    add_run.reset();
    add_run.bind_int(1, sweep_id).bind_text(2, run.key).bind_int(3, run.repeat).bind_text(4, run.config.dump());
    bind_fields(add_run, 5, run.config, kConfigFields, context);
    add_run.run();
  }
  transaction.commit();
  return sweep_id;
}

int Store::mark_plan(int64_t sweep_id, const std::vector<std::string>& planned_keys) {
  Transaction transaction(db_);
  Statement stale_all = db_.prepare("UPDATE runs SET in_plan = 0 WHERE sweep_id = ?1 AND in_plan = 1");
  stale_all.bind_int(1, sweep_id).run();
  Statement planned = db_.prepare("UPDATE runs SET in_plan = 1 WHERE sweep_id = ?1 AND run_key = ?2");
  planned.bind_int(1, sweep_id);
  for (const std::string& key : planned_keys) {
    planned.reset();
    planned.bind_text(2, key).run();
  }
  Statement count = db_.prepare("SELECT COUNT(*) FROM runs WHERE sweep_id = ?1 AND in_plan = 0");
  count.bind_int(1, sweep_id).step();
  const int stale = static_cast<int>(count.column_int(0));
  transaction.commit();
  return stale;
}

std::vector<RunRow> Store::runs_of(int64_t sweep_id) {
  Statement select =
      db_.prepare("SELECT id, run_key, repeat, status, config FROM runs WHERE sweep_id = ?1 ORDER BY id");
  select.bind_int(1, sweep_id);
  std::vector<RunRow> rows;
  while (select.step()) {
    rows.push_back({select.column_int(0), select.column_text(1), static_cast<int>(select.column_int(2)),
                    select.column_text(3), nlohmann::json::parse(select.column_text(4))});
  }
  return rows;
}

std::map<std::string, std::string> Store::run_statuses(const std::string& sweep_name) {
  return results::run_statuses(db_, sweep_name);
}

std::string Store::event_context(const char* event, int64_t run_id) const {
  return db_.path() + ": " + event + " event of run " + std::to_string(run_id);
}

void Store::require_changed(int64_t run_id) {
  if (db_.changes() == 0) throw std::runtime_error(db_.path() + ": no run with id " + std::to_string(run_id));
}

void Store::mark_running(int64_t run_id) {
  Transaction transaction(db_);
  start_attempt_.reset();
  start_attempt_.bind_text(1, utc_now()).bind_int(2, run_id).run();
  require_changed(run_id);
  clear_metrics_.reset();
  clear_metrics_.bind_int(1, run_id).run();
  transaction.commit();
}

void Store::record_started(int64_t run_id, const nlohmann::json& event) {
  Transaction transaction(db_);
  update_started_.reset();
  bind_fields(update_started_, 1, event, kStartedFields, [&] { return event_context(event::run_started, run_id); });
  update_started_.bind_int(kStartedIdIndex, run_id).run();
  require_changed(run_id);
  clear_epochs_.reset();
  clear_epochs_.bind_int(1, run_id).run();
  transaction.commit();
}

void Store::record_epoch(int64_t run_id, const nlohmann::json& event) {
  const auto context = [&] { return event_context(event::epoch, run_id); };
  const auto epoch = event.find("epoch");
  if (epoch == event.end() || !epoch->is_number_integer()) {
    throw std::runtime_error(context() + ": field 'epoch' must be an integer");
  }
  Transaction transaction(db_);
  upsert_epoch_.reset();
  upsert_epoch_.bind_int(1, run_id).bind_int(2, epoch->get<int64_t>());
  bind_fields(upsert_epoch_, 3, event, kEpochFields, context);
  upsert_epoch_.run();
  transaction.commit();
}

void Store::record_finished(int64_t run_id, const nlohmann::json& event) {
  Transaction transaction(db_);
  update_finished_.reset();
  bind_fields(update_finished_, 1, event, kFinishedFields, [&] { return event_context(event::run_finished, run_id); });
  update_finished_.bind_text(kFinishedTimeIndex, utc_now()).bind_int(kFinishedTimeIndex + 1, run_id).run();
  require_changed(run_id);
  upsert_metrics(run_id, event);
  transaction.commit();
}

void Store::upsert_metrics(int64_t run_id, const nlohmann::json& event) {
  const auto found = event.find(kMetricsField);
  if (found == event.end() || found->is_null()) return;
  const auto field = [&](const std::string& name) {
    return event_context(event::run_finished, run_id) + ": field '" + name + "'";
  };
  if (!found->is_object()) {
    throw std::runtime_error(field(kMetricsField) + " must be an object of name -> number, got " + found->dump());
  }
  for (const auto& item : found->items()) {
    const std::string& name = item.key();
    const nlohmann::json& value = item.value();
    if (!is_metric_name(name)) {
      throw std::runtime_error(field(kMetricsField) + " has a bad name '" + name +
                               "' (letters, digits, '_' and '.' only)");
    }
    if (value.is_null()) continue;
    if (!value.is_number()) {
      throw std::runtime_error(field(kMetricsField + ("." + name)) + " must be a number, got " + value.dump());
    }
    upsert_metric_.reset();
    upsert_metric_.bind_int(1, run_id).bind_text(2, name).bind_real(3, value.get<double>()).run();
  }
}

void Store::add_artifact(int64_t run_id, const std::string& kind, const std::string& path) {
  Transaction transaction(db_);
  results::add_artifact(db_, run_id, kind, path);
  transaction.commit();
}

void Store::drop_artifacts(int64_t run_id, const std::string& kind) {
  Transaction transaction(db_);
  results::drop_artifacts(db_, run_id, kind);
  transaction.commit();
}

void Store::record_failure(int64_t run_id, RunStatus status, std::optional<int> exit_code,
                           const std::string& error, const std::string& stderr_tail) {
  if (!is_failure(status)) {
    throw std::invalid_argument(db_.path() + ": run " + std::to_string(run_id) + " cannot end with status '" +
                                to_string(status) + "' (expected failed, timeout or interrupted)");
  }
  Transaction transaction(db_);
  update_failure_.reset();
  update_failure_.bind_text(1, to_string(status)).bind_text(3, error).bind_text(4, stderr_tail).bind_text(5, utc_now());
  update_failure_.bind_int(6, run_id);
  if (exit_code) {
    update_failure_.bind_int(2, *exit_code);
  } else {
    update_failure_.bind_null(2);
  }
  update_failure_.run();
  require_changed(run_id);
  transaction.commit();
}

int Store::mark_stale_running_interrupted(int64_t sweep_id) {
  Transaction transaction(db_);
  Statement update = db_.prepare(
      "UPDATE runs SET status = 'interrupted', error = COALESCE(error, 'left running by a sweep that stopped') "
      "WHERE sweep_id = ?1 AND status = 'running'");
  update.bind_int(1, sweep_id).run();
  const int count = db_.changes();
  transaction.commit();
  return count;
}

int64_t Store::stored_epochs(int64_t run_id) {
  Statement select = db_.prepare("SELECT epoch FROM epochs WHERE run_id = ?1 ORDER BY epoch");
  select.bind_int(1, run_id);
  int64_t last = 0;
  while (select.step() && select.column_int(0) == last + 1) ++last;
  return last;
}

const std::string& Store::path() const { return db_.path(); }

}  // namespace iddl::results
