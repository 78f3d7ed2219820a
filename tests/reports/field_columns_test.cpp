// The field contract from the reports' side: every field of results/fields.hpp that the store
// keeps in a column is a --columns name of iddl-report, written in its unit, and an unknown name
// is an error listing the close ones.
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "reports/markdown_report.hpp"
#include "reports/metric_columns.hpp"
#include "reports/sort_order.hpp"
#include "results/fields.hpp"
#include "results/schema.hpp"
#include "tests/reports/report_process.hpp"
#include "tests/results/field_samples.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

// Every field with a report unit, comma-separated, in table order.
std::string every_column() {
  std::string list;
  for (const results::EventField& field : results::kEventFields) {
    if (field.unit != results::Unit::None) list += (list.empty() ? "" : ",") + std::string(field.name);
  }
  return list;
}

// The CSV cells of one line (no quoted cells in these tables).
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) out.push_back(cell);
  return out;
}

// The cell a report writes for the sample value of the field.
std::string expected_cell(const results::EventField& field) {
  const nlohmann::json config = test_support::sample_event(results::kConfig);
  const nlohmann::json value = field.events == results::kConfig ? config.at(field.name)
                                                                : test_support::sample_value(field);
  if (field.kind == results::Kind::Axis) return value.at("method").get<std::string>();
  if (field.kind == results::Kind::Text) return value.get<std::string>();
  return find_metric(field.name)->format(value.get<double>());
}

class reports_field_columns : public ::testing::Test {
 protected:
  void SetUp() override { test_support::write_sample_fields_db(path_); }
  test_support::TempDir dir_;
  std::string path_ = dir_.file("iddl.db");
};

TEST_F(reports_field_columns, EveryStoredFieldIsAColumnWrittenInItsUnit) {
  const std::vector<Metric> chosen = parse_metric_list(every_column());
  std::vector<const results::EventField*> fields;
  for (const results::EventField& field : results::kEventFields) {
    if (field.stored == results::Stored::Column) fields.push_back(&field);
  }
  ASSERT_EQ(chosen.size(), fields.size()) << "every field the store keeps in a column is reportable";

  results::Database db = results::open_for_reading(path_);
  ReportOptions options;
  options.layout.columns = every_column();
  options.human = true;
  std::ostringstream csv;
  write_csv_report(csv, db, options);
  std::istringstream lines(csv.str());
  std::string header_line, row_line;
  std::getline(lines, header_line);
  std::getline(lines, row_line);
  const std::vector<std::string> headers = cells(header_line);
  const std::vector<std::string> row = cells(row_line);
  ASSERT_EQ(headers.size(), 3 + fields.size()) << csv.str();  // sweep, run, runs, then the columns
  ASSERT_EQ(row.size(), headers.size()) << csv.str();
  for (size_t i = 0; i < fields.size(); ++i) {
    EXPECT_EQ(chosen[i].column, fields[i]->name);
    EXPECT_EQ(headers[3 + i], fields[i]->header);
    EXPECT_EQ(row[3 + i], expected_cell(*fields[i])) << fields[i]->name;
  }
}

TEST_F(reports_field_columns, IddlReportAcceptsEveryStoredField) {
  const Outcome staleness =
      run_report(dir_, {"csv", "--human", "--db", path_, "--columns", "staleness_mean,epoch_time_s,host"});
  EXPECT_EQ(staleness.exit_code, 0) << staleness.err;
  const results::EventField& stale = *results::find_event_field(results::field::staleness_mean);
  const results::EventField& epoch = *results::find_event_field(results::field::epoch_time_s);
  EXPECT_EQ(staleness.out, "sweep,run,runs,staleness,epoch time,host\nfields,all-fields,1," + expected_cell(stale) + "," +
                               expected_cell(epoch) + ",sample-host\n");

  const Outcome every = run_report(dir_, {"csv", "--db", path_, "--columns", every_column()});
  EXPECT_EQ(every.exit_code, 0) << every.err;
  results::Database db = results::open_for_reading(path_);
  ReportOptions options;
  options.layout.columns = every_column();
  std::ostringstream csv;
  write_csv_report(csv, db, options);
  EXPECT_EQ(every.out, csv.str());
}

TEST(reports_field_columns_fold, TextColumnsListTheDistinctValuesOfARowsRuns) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  {
    results::Store store(path);
    nlohmann::json config = test_support::sample_event(results::kConfig);
    std::vector<results::PlannedRunRow> planned;
    for (int seed : {1, 2, 3}) {
      config["seed"] = seed;
      planned.push_back({"seed-" + std::to_string(seed), seed - 1, config});
    }
    const int64_t sweep = store.register_sweep("hosts", "", planned);
    const std::vector<std::string> hosts = {"node-b", "node-a", "node-b"};
    for (size_t i = 0; i < hosts.size(); ++i) {
      const int64_t run = store.runs_of(sweep)[i].id;
      store.mark_running(run);
      store.record_started(run, {{"host", hosts[i]}, {"nccl_version", ""}});
      store.record_finished(run, {{"test_accuracy", 0.5}, {"staleness_mean", 1.0 + static_cast<double>(i)}});
    }
  }
  results::Database db = results::open_for_reading(path);
  ReportOptions options;
  options.layout.columns = "host,nccl_version,staleness_mean";
  options.layout.sort = SortOrder{"host", false};
  std::ostringstream csv;
  write_csv_report(csv, db, options);
  EXPECT_EQ(csv.str(), "sweep,run,runs,host,nccl_version,staleness_mean,staleness_mean_std\n"
                       "hosts,\"seed-1, seed-2, seed-3\",3,\"node-b, node-a\",,2,1\n");
  options.human = true;
  std::ostringstream human;
  write_csv_report(human, db, options);
  EXPECT_EQ(human.str(), "sweep,run,runs,host,NCCL,staleness\nhosts,\"seed-1, seed-2, seed-3\",3,\"node-b, node-a\",,2 ± 1\n");
}

TEST_F(reports_field_columns, AnUnknownColumnIsAnErrorListingTheCloseOnes) {
  const Outcome typo = run_report(dir_, {"markdown", "--db", path_, "--columns", "test_accuracy,stalenes_mean"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_EQ(typo.err, "iddl-report: unknown column 'stalenes_mean' (did you mean 'staleness_mean'?)\n");
  EXPECT_EQ(typo.out, "");
  const Outcome several = run_report(dir_, {"csv", "--db", path_, "--columns", "bytes"});
  EXPECT_EQ(several.exit_code, 2);
  EXPECT_EQ(several.err, "iddl-report: unknown column 'bytes' (did you mean 'bytes_sent' or 'bytes_received'?)\n");
  try {
    parse_metric_list("cpu");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "unknown column 'cpu' (did you mean 'cpu_model', 'cpu_cores' or 'cpu_sockets'?)");
  }
}

}  // namespace
}  // namespace iddl::reports
