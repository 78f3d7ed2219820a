#include "results/sweep_status.hpp"

#include <algorithm>
#include <filesystem>

#include "results/run_status.hpp"
#include "results/schema.hpp"

namespace iddl::results {

namespace {

// sweep id -> (status -> run count), from the covering index runs(sweep_id, status).
std::map<int64_t, std::map<std::string, int>> counts_by_sweep(Database& db) {
  Statement select = db.prepare("SELECT sweep_id, status, count(*) FROM runs GROUP BY sweep_id, status");
  std::map<int64_t, std::map<std::string, int>> counts;
  while (select.step()) counts[select.column_int(0)][select.column_text(1)] = static_cast<int>(select.column_int(2));
  return counts;
}

// Every status with its count (0 when absent) and the total.
void fill_counts(SweepSummary& summary, const std::map<std::string, int>& found) {
  for (const auto& [status, name] : kRunStatusNames) summary.counts[std::string(name)] = 0;
  for (const auto& [status, count] : found) {
    summary.counts[status] = count;
    summary.total += count;
  }
}

}  // namespace

std::vector<SweepSummary> summarize_sweeps(Database& db) {
  const auto counts = counts_by_sweep(db);
  // The latest start and end per sweep come from runs(sweep_id, started_at) and runs(sweep_id, finished_at).
  Statement select = db.prepare(
      "SELECT s.id, s.name, s.file, s.created_at, "
      "(SELECT max(started_at) FROM runs WHERE sweep_id = s.id), "
      "(SELECT max(finished_at) FROM runs WHERE sweep_id = s.id) "
      "FROM sweeps s ORDER BY s.id");
  std::vector<SweepSummary> summaries;
  while (select.step()) {
    SweepSummary summary;
    summary.name = select.column_text(1);
    summary.file = select.column_text(2);
    summary.created_at = select.column_text(3);
    summary.last_activity = std::max({summary.created_at, select.column_text(4), select.column_text(5)});
    const auto found = counts.find(select.column_int(0));
    fill_counts(summary, found == counts.end() ? std::map<std::string, int>{} : found->second);
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

std::map<std::string, std::string> run_statuses(Database& db, const std::string& sweep_name) {
  Statement select = db.prepare(
      "SELECT r.run_key, r.status FROM runs r JOIN sweeps s ON s.id = r.sweep_id WHERE s.name = ?1");
  select.bind_text(1, sweep_name);
  std::map<std::string, std::string> statuses;
  while (select.step()) statuses.emplace(select.column_text(0), select.column_text(1));
  return statuses;
}

std::map<std::string, std::string> read_run_statuses(const std::string& db_path, const std::string& sweep_name) {
  if (!std::filesystem::exists(db_path)) return {};
  Database db = open_for_reading(db_path);
  return run_statuses(db, sweep_name);
}

std::vector<StoredRunState> read_stored_runs(const std::string& db_path, const std::string& sweep_name) {
  if (!std::filesystem::exists(db_path)) return {};
  Database db = open_for_reading(db_path);
  Statement select = db.prepare(
      "SELECT r.run_key, r.status, r.config FROM runs r JOIN sweeps s ON s.id = r.sweep_id WHERE s.name = ?1 "
      "ORDER BY r.id");
  select.bind_text(1, sweep_name);
  std::vector<StoredRunState> runs;
  while (select.step())
    runs.push_back({select.column_text(0), select.column_text(1),
                    nlohmann::json::parse(select.column_text(2), nullptr, false)});
  return runs;
}

}  // namespace iddl::results
