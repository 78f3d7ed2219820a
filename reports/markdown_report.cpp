#include "reports/markdown_report.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/fold.hpp"
#include "reports/format.hpp"

namespace iddl::reports {

namespace {

// The columns of one stored run that the report reads.
struct StoredRun {
  std::string key;
  std::string status;
  std::string error;
  nlohmann::json config;
  std::optional<double> epochs, train_time_s, test_accuracy, params, flops, bytes_sent, bandwidth_Bps;
  std::string host, blas_library, blas_kernel, torch_version;
};

// A numeric report column: header, the run's value, and how a value is written.
struct MetricColumn {
  const char* header;
  std::optional<double> StoredRun::*value;
  std::string (*format)(double);
};

const std::array<MetricColumn, 7> kMetricColumns = {{
    {"epochs", &StoredRun::epochs, format_count},
    {"training time", &StoredRun::train_time_s, format_duration},
    {"test accuracy", &StoredRun::test_accuracy, format_percent},
    {"params", &StoredRun::params, format_count},
    {"FLOPs", &StoredRun::flops, format_count},
    {"bytes sent", &StoredRun::bytes_sent, format_bytes},
    {"bandwidth", &StoredRun::bandwidth_Bps, format_rate},
}};

// Statuses in the order the counts line lists them.
const std::array<const char*, 6> kStatuses = {"pending", "running", "done", "failed", "timeout", "interrupted"};

bool is_failure(const std::string& status) {
  return status == "failed" || status == "timeout" || status == "interrupted";
}

std::optional<double> optional_real(const results::Statement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return row.column_real(column);
}

int64_t sweep_id(results::Database& db, const std::string& sweep) {
  results::Statement find = db.prepare("SELECT id FROM sweeps WHERE name = ?1");
  find.bind_text(1, sweep);
  if (!find.step()) throw std::runtime_error(db.path() + ": no sweep named '" + sweep + "'");
  return find.column_int(0);
}

std::vector<std::string> sweep_names(results::Database& db) {
  results::Statement select = db.prepare("SELECT name FROM sweeps ORDER BY id");
  std::vector<std::string> names;
  while (select.step()) names.push_back(select.column_text(0));
  return names;
}

// The sweep's runs in planned order.
std::vector<StoredRun> load_runs(results::Database& db, const std::string& sweep) {
  results::Statement select = db.prepare(
      "SELECT run_key, status, error, config, epochs, train_time_s, test_accuracy, params, flops, bytes_sent, "
      "bandwidth_Bps, host, blas_library, blas_kernel, torch_version FROM runs WHERE sweep_id = ?1 ORDER BY id");
  select.bind_int(1, sweep_id(db, sweep));
  std::vector<StoredRun> runs;
  while (select.step()) {
    StoredRun run;
    run.key = select.column_text(0);
    run.status = select.column_text(1);
    run.error = select.column_text(2);
    run.config = nlohmann::json::parse(select.column_text(3));
    run.epochs = optional_real(select, 4);
    run.train_time_s = optional_real(select, 5);
    run.test_accuracy = optional_real(select, 6);
    run.params = optional_real(select, 7);
    run.flops = optional_real(select, 8);
    run.bytes_sent = optional_real(select, 9);
    run.bandwidth_Bps = optional_real(select, 10);
    run.host = select.column_text(11);
    run.blas_library = select.column_text(12);
    run.blas_kernel = select.column_text(13);
    run.torch_version = select.column_text(14);
    runs.push_back(std::move(run));
  }
  return runs;
}

// The done runs grouped by fold key, groups in order of their first run.
std::vector<std::vector<const StoredRun*>> fold_done_runs(const std::vector<StoredRun>& runs) {
  std::vector<std::vector<const StoredRun*>> groups;
  std::map<std::string, size_t> group_of_key;
  for (const StoredRun& run : runs) {
    if (run.status != "done") continue;
    const auto [entry, added] = group_of_key.emplace(fold_key(run.config), groups.size());
    if (added) groups.emplace_back();
    groups[entry->second].push_back(&run);
  }
  return groups;
}

// The table of done runs (see sweep_table).
Table table_of(const std::vector<StoredRun>& runs) {
  const auto groups = fold_done_runs(runs);
  std::vector<nlohmann::json> configs;
  for (const auto& group : groups) configs.push_back(group.front()->config);
  std::vector<std::string> settings = varying_settings(configs);
  settings.erase(std::remove(settings.begin(), settings.end(), "epochs"), settings.end());  // a column of its own

  Table table;
  for (const std::string& setting : settings) table.columns.push_back({setting, Align::Left});
  table.columns.push_back({"runs", Align::Right});
  for (const MetricColumn& metric : kMetricColumns) table.columns.push_back({metric.header, Align::Right});

  for (const auto& group : groups) {
    std::vector<std::string> cells;
    for (const std::string& setting : settings) cells.push_back(setting_cell(group.front()->config, setting));
    cells.push_back(std::to_string(group.size()));
    for (const MetricColumn& metric : kMetricColumns) {
      std::vector<double> values;
      for (const StoredRun* run : group) {
        if (const auto& value = run->*metric.value) values.push_back(*value);
      }
      cells.push_back(spread_cell(values, metric.format));
    }
    table.add_row(std::move(cells));
  }
  return table;
}

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

// "failed: key (status): error" for each run that failed, timed out or was interrupted.
std::vector<std::string> failure_lines(const std::vector<StoredRun>& runs) {
  std::vector<std::string> lines;
  for (const StoredRun& run : runs) {
    if (is_failure(run.status)) lines.push_back("failed: " + run.key + " (" + run.status + "): " + one_line(run.error));
  }
  return lines;
}

// The distinct non-empty values of one run fact, in run order, joined by ", " ("unknown" if none).
template <typename Fact>
std::string distinct(const std::vector<StoredRun>& runs, Fact fact) {
  std::vector<std::string> values;
  for (const StoredRun& run : runs) {
    const std::string value = fact(run);
    if (!value.empty() && std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  }
  if (values.empty()) return "unknown";
  std::string joined;
  for (const std::string& value : values) joined += (joined.empty() ? "" : ", ") + value;
  return joined;
}

// "runs: 4 done, 1 failed; host: n1; BLAS: openblas (Haswell); torch: 2.1.0".
std::string summary_line(const std::vector<StoredRun>& runs) {
  std::string counts;
  for (const char* status : kStatuses) {
    const auto n = std::count_if(runs.begin(), runs.end(), [&](const StoredRun& run) { return run.status == status; });
    if (n > 0) counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + status;
  }
  const std::string host = distinct(runs, [](const StoredRun& run) { return run.host; });
  const std::string blas = distinct(runs, [](const StoredRun& run) {
    if (run.blas_library.empty() || run.blas_kernel.empty()) return run.blas_library;
    return run.blas_library + " (" + run.blas_kernel + ")";
  });
  const std::string torch = distinct(runs, [](const StoredRun& run) { return run.torch_version; });
  return "runs: " + (counts.empty() ? std::string("none") : counts) + "; host: " + host + "; BLAS: " + blas +
         "; torch: " + torch;
}

}  // namespace

Table sweep_table(results::Database& db, const std::string& sweep) { return table_of(load_runs(db, sweep)); }

void write_markdown_report(std::ostream& out, results::Database& db, const std::optional<std::string>& sweep) {
  const std::vector<std::string> names = sweep ? std::vector<std::string>{*sweep} : sweep_names(db);
  if (names.empty()) out << "No sweeps in " << db.path() << ".\n";
  for (size_t i = 0; i < names.size(); ++i) {
    const std::vector<StoredRun> runs = load_runs(db, names[i]);
    out << (i == 0 ? "" : "\n") << "## " << names[i] << "\n\n" << render_markdown(table_of(runs)) << "\n";
    const std::vector<std::string> failures = failure_lines(runs);
    for (const std::string& line : failures) out << "- " << line << "\n";
    if (!failures.empty()) out << "\n";
    out << summary_line(runs) << "\n";
  }
}

}  // namespace iddl::reports
