// The field contract (results/fields.hpp): the table is well formed, a freshly migrated database
// has a column of the right type for every field the store keeps, and a run holding every field
// of every event is stored whole.
#include "results/fields.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

#include "results/field_columns.hpp"
#include "results/store.hpp"
#include "tests/results/field_samples.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::results {
namespace {

// The declared SQL type of table.column; "" when there is no such column.
std::string declared_type(Database& db, const std::string& table, const std::string& column) {
  Statement select = db.prepare("SELECT type FROM pragma_table_info(?1) WHERE name = ?2");
  select.bind_text(1, table).bind_text(2, column);
  return select.step() ? select.column_text(0) : "";
}

TEST(results_fields, EveryFieldHasOneNameAnEventAHeaderAndAMeaning) {
  std::set<std::string> names;
  for (const EventField& field : kEventFields) {
    EXPECT_TRUE(names.insert(field.name).second) << "twice in the table: " << field.name;
    EXPECT_NE(field.events, 0u) << field.name;
    EXPECT_NE(std::string(field.header), "") << field.name;
    EXPECT_NE(std::string(field.meaning), "") << field.name;
    EXPECT_TRUE(is_metric_name(field.name)) << field.name;
    EXPECT_EQ(find_event_field(field.name), &field);
    // A stored column is a report column; what reports do not show is kept elsewhere.
    EXPECT_EQ(field.stored == Stored::Column, field.unit != Unit::None) << field.name;
    if (field.stored == Stored::Column) {
      EXPECT_EQ(field.unit == Unit::Text, field.kind == Kind::Text || field.kind == Kind::Axis) << field.name;
    }
  }
  EXPECT_EQ(find_event_field("no_such_field"), nullptr);
  EXPECT_STREQ(field::staleness_mean, "staleness_mean");
  EXPECT_STREQ(event_name(kRunFinished), event::run_finished);
}

TEST(results_fields, EveryEventHasItsFieldsInTableOrder) {
  const std::vector<EventField> epoch = stored_columns(kEpoch);
  ASSERT_FALSE(epoch.empty());
  EXPECT_STREQ(epoch.front().name, field::train_loss) << "the epoch number is the key, not a value column";
  for (const Event event : {kConfig, kRunStarted, kEpoch, kRunFinished}) {
    const EventField* previous = nullptr;
    for (const EventField& field : stored_columns(event)) {
      const EventField* row = find_event_field(field.name);
      ASSERT_NE(row, nullptr);
      EXPECT_NE(row->events & event, 0u) << field.name;
      if (previous) {
        EXPECT_LT(previous, row) << field.name;
      }
      previous = row;
    }
  }
  EXPECT_TRUE(stored_columns(kError).empty()) << "an error's message goes to runs.error";
}

TEST(results_fields, AFreshDatabaseHasAColumnOfItsTypeForEveryStoredField) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  Database db(path);
  size_t columns = 0;
  for (const EventField& field : kEventFields) {
    for (const std::string& table : column_tables(field)) {
      EXPECT_EQ(declared_type(db, table, field.name), sql_type(field.kind)) << table << "." << field.name;
      ++columns;
    }
  }
  EXPECT_GT(columns, 50u);
  EXPECT_NO_THROW(require_field_columns(db));
}

TEST(results_fields, AStoreRefusesADatabaseWithoutAFieldsColumnNamingIt) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  { Store store(path); }
  {
    Database db(path);
    db.exec("ALTER TABLE runs DROP COLUMN staleness_mean");
  }
  try {
    Store store(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what()), path + ": no column runs.staleness_mean for the field of results/fields.hpp");
  }
}

TEST(results_fields, ARunHoldingEveryFieldOfEveryEventIsStoredWhole) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  const int64_t run = test_support::write_sample_fields_db(path);
  Database db(path);
  const nlohmann::json config = test_support::sample_event(kConfig);
  size_t checked = 0;
  for (const EventField& field : kEventFields) {
    for (const std::string& table : column_tables(field)) {
      if (field.stored != Stored::Column) continue;
      const std::string key = table == "epochs" ? "run_id" : "id";
      Statement select =
          db.prepare("SELECT " + std::string(field.name) + " FROM " + table + " WHERE " + key + " = ?1");
      select.bind_int(1, run);
      ASSERT_TRUE(select.step()) << table;
      ASSERT_FALSE(select.column_is_null(0)) << table << "." << field.name << " was not stored";
      const nlohmann::json sent = field.events == kConfig ? config.at(field.name) : test_support::sample_value(field);
      switch (field.kind) {
        case Kind::Integer: EXPECT_EQ(select.column_int(0), sent.get<int64_t>()) << field.name; break;
        case Kind::Real: EXPECT_DOUBLE_EQ(select.column_real(0), sent.get<double>()) << field.name; break;
        case Kind::Axis: EXPECT_EQ(select.column_text(0), sent.at("method").get<std::string>()) << field.name; break;
        default: EXPECT_EQ(select.column_text(0), sent.get<std::string>()) << field.name; break;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 50u);
  Statement metric = db.prepare("SELECT name, value FROM run_metrics WHERE run_id = ?1");
  metric.bind_int(1, run);
  ASSERT_TRUE(metric.step());
  EXPECT_EQ(metric.column_text(0), "exit_accuracy.2");
  EXPECT_DOUBLE_EQ(metric.column_real(1), 0.75);
}

TEST(results_fields, NamedMetricsArePatternsOfNameAndUnit) {
  EXPECT_TRUE(is_metric_name("exit_accuracy.2"));
  EXPECT_FALSE(is_metric_name("exit accuracy"));
  EXPECT_FALSE(is_metric_name(""));
  EXPECT_EQ(named_metric_unit("member_accuracy.0"), Unit::Fraction);
  EXPECT_EQ(named_metric_unit("pipeline_efficiency"), Unit::Fraction);
  EXPECT_EQ(named_metric_unit("exit_flops.1"), Unit::Count);
  EXPECT_EQ(named_metric_unit("samples_per_s"), Unit::PerSecond);
  EXPECT_EQ(named_metric_unit("boundary_Bps"), Unit::BytesPerSecond);
  EXPECT_EQ(named_metric_unit("boundary_bytes"), Unit::Bytes);
  EXPECT_EQ(named_metric_unit("baseline_inference_time_s"), Unit::Seconds);
  EXPECT_EQ(named_metric_unit("exit_time_s.2"), Unit::Seconds);
  EXPECT_EQ(named_metric_unit("exit_time_s.x"), Unit::Decimal);
  EXPECT_EQ(named_metric_unit("peak_activation_bytes.0"), Unit::Bytes);
  EXPECT_EQ(named_metric_unit("baseline_latency_ms"), Unit::Milliseconds);
  EXPECT_EQ(named_metric_unit("pipeline_stages"), Unit::Decimal);
}

}  // namespace
}  // namespace iddl::results
