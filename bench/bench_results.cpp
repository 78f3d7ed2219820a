// Benchmarks of the results database (no LibTorch): epoch-event ingest through the store, the
// markdown report over a database of 100,000 done runs, and the HTML page of 1,000 runs.
//   build/bin/iddl-bench-results
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "reports/html_report.hpp"
#include "reports/markdown_report.hpp"
#include "results/schema.hpp"
#include "results/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using nlohmann::json;
using iddl::test_support::TempDir;

// A resolved config of the benchmark sweeps: axes as objects, as the matrix writes them.
json bench_config(const std::string& model, int ranks, double lr, int seed) {
  return {{"dataset", "fashion-mnist"},
          {"model", model},
          {"sparsification", {{"method", "none"}}},
          {"vertical", {{"method", "none"}}},
          {"horizontal", {{"method", "none"}}},
          {"compression", {{"method", "none"}}},
          {"parallelism", {{"method", ranks == 1 ? "single" : "sync"}}},
          {"ranks", ranks},
          {"seed", seed},
          {"epochs", 10},
          {"batch_size", 64},
          {"lr", lr}};
}

json epoch_event(int epoch) {
  return {{"event", "epoch"},         {"epoch", epoch},           {"train_loss", 0.5},
          {"test_loss", 0.6},         {"test_accuracy", 0.875},   {"epoch_time_s", 12.25},
          {"bytes_sent", 1048576},    {"bytes_received", 2097152}, {"comm_time_s", 0.125},
          {"bandwidth_Bps", 8388608.5}};
}

constexpr int kEpochsPerRun = 100;
constexpr int kIngestRuns = 20000;

// Epoch events into a fresh database file, one Store::record_epoch (one transaction) each.
void BM_RecordEpoch(benchmark::State& state) {
  TempDir dir;
  iddl::results::Store store(dir.file("ingest.db"));
  std::vector<iddl::results::PlannedRunRow> planned;
  for (int i = 0; i < kIngestRuns; ++i)
    planned.push_back({"run-" + std::to_string(i), 0, bench_config("mlp", 2, 0.1, i)});
  const std::vector<iddl::results::RunRow> runs = store.runs_of(store.register_sweep("ingest", "", planned));
  json event = epoch_event(1);
  int64_t rows = 0;
  for (auto _ : state) {
    const int64_t run = rows / kEpochsPerRun % kIngestRuns;
    event["epoch"] = rows % kEpochsPerRun + 1;
    store.record_epoch(runs[static_cast<size_t>(run)].id, event);
    ++rows;
  }
  state.SetItemsProcessed(rows);
}
BENCHMARK(BM_RecordEpoch)->Unit(benchmark::kMicrosecond)->UseRealTime();

constexpr int kReportRuns = 100000;

// A database of kReportRuns done runs in one sweep: model x ranks x lr (24 combinations), the rest
// repeats with their own seeds. Runs are registered through the store; their results are filled in
// by one UPDATE (the report reads rows, however they got there).
std::string report_database(const TempDir& dir) {
  const std::string path = dir.file("report.db");
  const std::vector<std::string> models = {"mlp", "lenet"};
  const std::vector<int> ranks = {1, 2, 4, 8};
  const std::vector<double> rates = {0.01, 0.1, 0.5};
  std::vector<iddl::results::PlannedRunRow> planned;
  for (int i = 0; i < kReportRuns; ++i) {
    const size_t combination = static_cast<size_t>(i) % 24;
    planned.push_back({"run-" + std::to_string(i), i / 24,
                       bench_config(models[combination % 2], ranks[combination / 2 % 4], rates[combination / 8], i)});
  }
  iddl::results::Store store(path);
  store.register_sweep("large", "sweeps/large.toml", planned);
  iddl::results::Database db(path);
  iddl::results::configure_connection(db);
  db.exec(
      "UPDATE runs SET status = 'done', host = 'node-1', blas_library = 'openblas', blas_kernel = 'Haswell', "
      "torch_version = '2.1.0', train_time_s = 100 + (id % 97), test_accuracy = 0.8 + (id % 13) / 100.0, "
      "params = 101770, flops = 557890000, bytes_sent = 1048576 * ranks, bandwidth_Bps = 2.5e6 + id % 1000");
  return path;
}

// The markdown report (as `iddl-report markdown --sweep large`) over kReportRuns done runs.
void BM_MarkdownReport(benchmark::State& state) {
  TempDir dir;
  const std::string path = report_database(dir);
  size_t bytes = 0;
  for (auto _ : state) {
    iddl::results::Database db = iddl::results::open_for_reading(path);
    std::ostringstream out;
    iddl::reports::write_markdown_report(out, db, std::string("large"));
    bytes = out.str().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["runs"] = kReportRuns;
  state.counters["report_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_MarkdownReport)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

constexpr int kHtmlRuns = 1000;
constexpr int kHtmlEpochs = 10;

// A database of kHtmlRuns done runs of kHtmlEpochs epochs each in one sweep, in `combinations`
// setting combinations (lr values; the rest repeats with their own seeds).
std::string html_database(const TempDir& dir, int combinations) {
  const std::string path = dir.file("html.db");
  std::vector<iddl::results::PlannedRunRow> planned;
  for (int i = 0; i < kHtmlRuns; ++i) {
    const int combination = i % combinations;
    planned.push_back({"run-" + std::to_string(i), i / combinations,
                       bench_config(combination % 2 ? "mlp" : "lenet", 2, 0.001 * (1 + combination / 2), i)});
  }
  iddl::results::Store store(path);
  store.register_sweep("html", "sweeps/html.toml", planned);
  iddl::results::Database db(path);
  iddl::results::configure_connection(db);
  db.exec(
      "UPDATE runs SET status = 'done', host = 'node-1', blas_library = 'openblas', blas_kernel = 'Haswell', "
      "torch_version = '2.1.0', cpu_model = 'Xeon', cpu_cores = 2, iddl_commit = 'abc123', "
      "train_time_s = 100 + (id % 97), test_accuracy = 0.8 + (id % 13) / 100.0, params = 101770, "
      "flops = 557890000, bytes_sent = 1048576 * ranks, bandwidth_Bps = 2.5e6 + id % 1000");
  db.exec("WITH RECURSIVE e(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM e WHERE n < " + std::to_string(kHtmlEpochs) +
          ") INSERT INTO epochs (run_id, epoch, train_loss, test_accuracy, epoch_time_s) "
          "SELECT id, n, 1.0 / n + (id % 7) / 100.0, 0.5 + n / 40.0 + (id % 13) / 200.0, 10 + id % 5 FROM runs, e");
  return path;
}

// The HTML page (as `iddl-report html --sweep html`) of kHtmlRuns runs in state.range(0) setting
// combinations: 1,000 is every run its own table row and curve.
void BM_HtmlReport(benchmark::State& state) {
  TempDir dir;
  const std::string path = html_database(dir, static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    iddl::results::Database db = iddl::results::open_for_reading(path);
    std::ostringstream out;
    iddl::reports::write_html_report(out, db, {"html"});
    bytes = out.str().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["runs"] = kHtmlRuns;
  state.counters["page_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_HtmlReport)->Arg(50)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
