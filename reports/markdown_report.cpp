#include "reports/markdown_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <map>
#include <sstream>
#include <vector>

#include "reports/format.hpp"
#include "reports/grouping.hpp"

namespace iddl::reports {

namespace {

// The runs of one sweep of the set, in order.
std::vector<const StoredRun*> runs_of_sweep(const RunSet& set, size_t sweep) {
  std::vector<const StoredRun*> runs;
  for (const StoredRun& run : set.runs) {
    if (run.sweep == sweep) runs.push_back(&run);
  }
  return runs;
}

std::vector<const StoredRun*> done(const std::vector<const StoredRun*>& runs) {
  std::vector<const StoredRun*> chosen;
  std::copy_if(runs.begin(), runs.end(), std::back_inserter(chosen),
               [](const StoredRun* r) { return r->status == to_string(results::RunStatus::Done); });
  return chosen;
}

// The baseline runs of the layout's baseline, when it has one.
std::optional<BaselineRuns> baseline_runs(results::Database& db, const ReportOptions& options) {
  std::optional<BaselineRuns> runs;
  if (options.layout.baseline) runs.emplace(db, options.selection, *options.layout.baseline);
  return runs;
}

const BaselineRuns* pointer(const std::optional<BaselineRuns>& runs) { return runs ? &*runs : nullptr; }

// The selected runs, with the metrics the layout shows or sorts by and the runs columns it may group by.
RunSet load_for_layout(results::Database& db, const ReportOptions& options) {
  return load_runs(db, options.selection, options.layout.group_by, layout_metric_columns(options.layout));
}

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

// "failed: key (status): error" for each run that failed, timed out or was interrupted.
std::vector<std::string> failure_lines(const std::vector<const StoredRun*>& runs) {
  std::vector<std::string> lines;
  for (const StoredRun* run : runs) {
    if (results::is_failure(results::parse_run_status(run->status)))
      lines.push_back("failed: " + run->key + " (" + run->status + "): " + one_line(run->error));
  }
  return lines;
}

// The distinct non-empty values of one run fact, in run order, joined by ", " ("unknown" if none).
template <typename Fact>
std::string distinct(const std::vector<const StoredRun*>& runs, Fact fact) {
  std::vector<std::string> values;
  for (const StoredRun* run : runs) {
    const std::string value = fact(*run);
    if (!value.empty() && std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  }
  if (values.empty()) return "unknown";
  return fmt::format("{}", fmt::join(values, ", "));
}

// "runs: 4 done, 1 failed; host: n1; BLAS: openblas (Haswell); GPU: ...; torch: 2.1.0", the GPU part
// only when a run recorded GPUs.
std::string summary_line(const std::vector<const StoredRun*>& runs, const std::map<int64_t, std::string>& gpus) {
  std::string counts;
  for (const auto& [status, name] : results::kRunStatusNames) {
    const auto n = std::count_if(runs.begin(), runs.end(), [&](const StoredRun* run) { return run->status == name; });
    if (n > 0) counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(name);
  }
  const std::string host = distinct(runs, [](const StoredRun& run) { return run.host; });
  const std::string blas = distinct(runs, [](const StoredRun& run) {
    if (run.blas_library.empty() || run.blas_kernel.empty()) return run.blas_library;
    return run.blas_library + " (" + run.blas_kernel + ")";
  });
  const bool has_gpu = std::any_of(runs.begin(), runs.end(), [&](const StoredRun* run) { return gpus.count(run->id) > 0; });
  const std::string gpu = distinct(runs, [&](const StoredRun& run) {
    const auto found = gpus.find(run.id);
    return found == gpus.end() ? std::string() : found->second;
  });
  const std::string torch = distinct(runs, [](const StoredRun& run) { return run.torch_version; });
  return "runs: " + (counts.empty() ? std::string("none") : counts) + "; host: " + host + "; BLAS: " + blas +
         (has_gpu ? "; GPU: " + gpu : "") + "; torch: " + torch;
}

// What the report did with a sweep's stale runs (runs its sweep file no longer plans).
std::string stale_line(int count, bool included) {
  return included ? "includes " + std::to_string(count) + " stale run(s): no longer in the sweep file as last run"
                  : std::to_string(count) + " stale run(s) left out: no longer in the sweep file as last run "
                    "(--stale includes them)";
}

}  // namespace

std::map<int64_t, std::string> gpu_facts(results::Database& db, const Selection& selection) {
  std::map<int64_t, std::string> facts;
  results::Statement row =
      select_runs(db, selection, "r.id, r.gpu_name, r.gpu_count, r.gpu_memory_bytes, r.cuda_version, r.gpu_driver");
  while (row.step()) {
    if (row.column_is_null(1) || row.column_text(1).empty()) continue;
    std::string text = row.column_text(1);
    if (!row.column_is_null(2) && row.column_int(2) > 1) text += " x" + std::to_string(row.column_int(2));
    if (!row.column_is_null(3)) text += " (" + format_bytes(static_cast<double>(row.column_int(3))) + ")";
    if (!row.column_is_null(4)) text += ", CUDA " + row.column_text(4);
    if (!row.column_is_null(5)) text += ", driver " + row.column_text(5);
    facts.emplace(row.column_int(0), text);
  }
  return facts;
}

Table sweep_table(results::Database& db, const std::string& sweep) {
  const RunSet set = load_runs(db, {sweep, std::nullopt}, {}, layout_metric_columns(TableLayout{}));
  return folded_table(set, with_status(set, results::RunStatus::Done), TableLayout{});
}

void write_markdown_report(std::ostream& destination, results::Database& db, const ReportOptions& options) {
  std::ostringstream out;  // written whole at the end: an error leaves nothing half-printed
  const RunSet set = load_for_layout(db, options);
  layout_metrics(set, options.layout);  // an unknown column is an error even when no table is printed
  const std::optional<BaselineRuns> baseline = baseline_runs(db, options);
  if (set.sweeps.empty()) out << "No sweeps in " << db.path() << ".\n";
  const std::map<int64_t, std::string> gpus = gpu_facts(db, options.selection);
  const std::map<std::string, int> stale = stale_runs(db, options.selection);
  bool first = true;
  for (size_t sweep = 0; sweep < set.sweeps.size(); ++sweep) {
    const std::vector<const StoredRun*> runs = runs_of_sweep(set, sweep);
    if (options.selection.where && runs.empty()) continue;
    out << (first ? "" : "\n") << "## " << set.sweeps[sweep] << "\n\n"
        << render_markdown(folded_table(set, done(runs), options.layout, pointer(baseline))) << "\n";
    first = false;
    const std::vector<std::string> failures = failure_lines(runs);
    for (const std::string& line : failures) out << "- " << line << "\n";
    if (!failures.empty()) out << "\n";
    out << summary_line(runs, gpus) << "\n";
    if (const auto found = stale.find(set.sweeps[sweep]); found != stale.end())
      out << stale_line(found->second, options.selection.stale) << "\n";
  }
  if (first && !set.sweeps.empty()) out << "No runs match " << *options.selection.where << ".\n";
  destination << out.str();
}

void write_markdown_report(std::ostream& out, results::Database& db, const std::optional<std::string>& sweep) {
  write_markdown_report(out, db, ReportOptions{{sweep, std::nullopt}, TableLayout{}});
}

void write_csv_report(std::ostream& out, results::Database& db, const ReportOptions& options) {
  const RunSet set = load_for_layout(db, options);
  TableLayout layout = options.layout;
  layout.sweep_column = true;
  layout.numeric = !options.human;
  const std::optional<BaselineRuns> baseline = baseline_runs(db, options);
  out << render_csv(folded_table(set, with_status(set, results::RunStatus::Done), layout, pointer(baseline)));
}

}  // namespace iddl::reports
