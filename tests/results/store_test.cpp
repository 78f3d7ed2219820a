#include "results/store.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <stdexcept>

#include "results/schema.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::results {
namespace {

using nlohmann::json;

json config_with_seed(int seed, const std::string& parallelism = "sync") {
  return {{"dataset", "fashion-mnist"}, {"model", "mlp"},       {"sparsification", "none"},
          {"vertical", "none"},         {"horizontal", "none"}, {"compression", "none"},
          {"parallelism", parallelism}, {"ranks", 2},           {"seed", seed},
          {"epochs", 2},                {"batch_size", 64},     {"lr", 0.05}};
}

std::vector<PlannedRunRow> three_runs() {
  return {{"key-a", 0, config_with_seed(1)}, {"key-b", 1, config_with_seed(2)}, {"key-c", 2, config_with_seed(3)}};
}

const json kStarted = {{"event", "run_started"},   {"run_key", "key-a"},       {"world_size", 2},
                       {"host", "node-1"},         {"device", "cpu"},          {"threads", 4},
                       {"blas_library", "openblas"}, {"blas_kernel", "Haswell"}, {"torch_version", "2.1.0"},
                       {"mpi_version", "Open MPI v4.1.4"}, {"params", 101770},  {"flops", 557890000},
                       {"iddl_commit", "afd8833"}, {"compiler", "GNU 12.2.0"},  {"cpu_model", "AMD EPYC 7B13"},
                       {"cpu_cores", 16},          {"not_a_column", "ignored"}};

json epoch_event(int epoch, double accuracy) {
  return {{"event", "epoch"},       {"epoch", epoch},         {"train_loss", 0.5 / epoch},
          {"test_loss", 0.6 / epoch}, {"test_accuracy", accuracy}, {"epoch_time_s", 12.25},
          {"bytes_sent", 1048576 * epoch}, {"bytes_received", 2097152 * epoch}, {"comm_time_s", 0.125},
          {"bandwidth_Bps", 8388608.5}};
}

const json kFinished = {{"event", "run_finished"},   {"train_loss", 0.25},      {"test_loss", 0.3125},
                        {"test_accuracy", 0.8765},   {"train_time_s", 114.5},   {"inference_time_s", 1.75},
                        {"latency_ms", 0.0625},      {"params", 101770},        {"flops", 557890000},
                        {"bytes_sent", 3145728},     {"bytes_received", 6291456}, {"comm_time_s", 0.375},
                        {"bandwidth_Bps", 8388608.5}};

// One row of a query against the database file, read with a fresh connection.
class Row {
 public:
  Row(const std::string& path, const std::string& sql) : db_(path), statement_(db_.prepare(sql)) {
    EXPECT_TRUE(statement_.step()) << sql;
  }
  std::string text(int column) const { return statement_.column_text(column); }
  int64_t integer(int column) const { return statement_.column_int(column); }
  double real(int column) const { return statement_.column_real(column); }
  bool null(int column) const { return statement_.column_is_null(column); }

 private:
  Database db_;
  Statement statement_;
};

int64_t count(const std::string& path, const std::string& sql) { return Row(path, sql).integer(0); }

const std::regex kIsoUtc(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");

TEST(results_store, RoundTripOfEventsSurvivesReopening) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  int64_t sweep_id = 0;
  int64_t run_id = 0;
  {
    Store store(path);
    EXPECT_EQ(store.path(), path);
    sweep_id = store.register_sweep("quickstart", "sweeps/quickstart.toml", three_runs());
    run_id = store.runs_of(sweep_id).front().id;
    store.mark_running(run_id);
    store.record_started(run_id, kStarted);
    store.record_epoch(run_id, epoch_event(1, 0.8125));
    store.record_epoch(run_id, epoch_event(2, 0.875));
    store.record_finished(run_id, kFinished);
  }
  Store reopened(path);
  const std::vector<RunRow> runs = reopened.runs_of(sweep_id);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].key, "key-a");
  EXPECT_EQ(runs[1].key, "key-b");
  EXPECT_EQ(runs[2].key, "key-c");
  EXPECT_EQ(runs[2].repeat, 2);
  EXPECT_EQ(runs[0].status, "done");
  EXPECT_EQ(runs[1].status, "pending");
  EXPECT_EQ(runs[1].config, config_with_seed(2));

  Row sweep(path, "SELECT name, file, created_at FROM sweeps");
  EXPECT_EQ(sweep.text(0), "quickstart");
  EXPECT_EQ(sweep.text(1), "sweeps/quickstart.toml");
  EXPECT_TRUE(std::regex_match(sweep.text(2), kIsoUtc)) << sweep.text(2);

  Row settings(path,
               "SELECT dataset, model, sparsification, vertical, horizontal, compression, parallelism, ranks, seed, "
               "epochs, batch_size, lr, config FROM runs WHERE run_key = 'key-b'");
  EXPECT_EQ(settings.text(0), "fashion-mnist");
  EXPECT_EQ(settings.text(1), "mlp");
  for (int axis = 2; axis <= 5; ++axis) EXPECT_EQ(settings.text(axis), "none");
  EXPECT_EQ(settings.text(6), "sync");
  EXPECT_EQ(settings.integer(7), 2);
  EXPECT_EQ(settings.integer(8), 2);
  EXPECT_EQ(settings.integer(9), 2);
  EXPECT_EQ(settings.integer(10), 64);
  EXPECT_EQ(settings.real(11), 0.05);
  EXPECT_EQ(json::parse(settings.text(12)), config_with_seed(2));

  Row run(path,
          "SELECT host, device, threads, blas_library, blas_kernel, torch_version, mpi_version, params, flops, "
          "train_loss, test_loss, test_accuracy, train_time_s, inference_time_s, latency_ms, bytes_sent, "
          "bytes_received, comm_time_s, bandwidth_Bps, started_at, finished_at, exit_code, error, iddl_commit, "
          "compiler, cpu_model, cpu_cores FROM runs WHERE id = " + std::to_string(run_id));
  EXPECT_EQ(run.text(0), "node-1");
  EXPECT_EQ(run.text(1), "cpu");
  EXPECT_EQ(run.integer(2), 4);
  EXPECT_EQ(run.text(3), "openblas");
  EXPECT_EQ(run.text(4), "Haswell");
  EXPECT_EQ(run.text(5), "2.1.0");
  EXPECT_EQ(run.text(6), "Open MPI v4.1.4");
  EXPECT_EQ(run.integer(7), 101770);
  EXPECT_EQ(run.integer(8), 557890000);
  EXPECT_EQ(run.real(9), 0.25);
  EXPECT_EQ(run.real(10), 0.3125);
  EXPECT_EQ(run.real(11), 0.8765);
  EXPECT_EQ(run.real(12), 114.5);
  EXPECT_EQ(run.real(13), 1.75);
  EXPECT_EQ(run.real(14), 0.0625);
  EXPECT_EQ(run.integer(15), 3145728);
  EXPECT_EQ(run.integer(16), 6291456);
  EXPECT_EQ(run.real(17), 0.375);
  EXPECT_EQ(run.real(18), 8388608.5);
  EXPECT_TRUE(std::regex_match(run.text(19), kIsoUtc)) << run.text(19);
  EXPECT_TRUE(std::regex_match(run.text(20), kIsoUtc)) << run.text(20);
  EXPECT_TRUE(run.null(21));
  EXPECT_TRUE(run.null(22));
  EXPECT_EQ(run.text(23), "afd8833");
  EXPECT_EQ(run.text(24), "GNU 12.2.0");
  EXPECT_EQ(run.text(25), "AMD EPYC 7B13");
  EXPECT_EQ(run.integer(26), 16);

  Row epoch(path,
            "SELECT epoch, train_loss, test_loss, test_accuracy, epoch_time_s, bytes_sent, bytes_received, "
            "comm_time_s, bandwidth_Bps FROM epochs WHERE run_id = " + std::to_string(run_id) + " AND epoch = 2");
  EXPECT_EQ(epoch.integer(0), 2);
  EXPECT_EQ(epoch.real(1), 0.25);
  EXPECT_EQ(epoch.real(2), 0.3);
  EXPECT_EQ(epoch.real(3), 0.875);
  EXPECT_EQ(epoch.real(4), 12.25);
  EXPECT_EQ(epoch.integer(5), 2097152);
  EXPECT_EQ(epoch.integer(6), 4194304);
  EXPECT_EQ(epoch.real(7), 0.125);
  EXPECT_EQ(epoch.real(8), 8388608.5);
  EXPECT_EQ(count(path, "SELECT count(*) FROM epochs"), 2);
}

TEST(results_store, AxisObjectsAreStoredAsTheirMethodWithTheFullConfigKept) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  json config = config_with_seed(1);
  config["sparsification"] = {{"method", "topk"}, {"ratio", 0.01}};
  config["parallelism"] = {{"method", "sync"}};
  const int64_t sweep_id = store.register_sweep("s", "", {{"key-a", 0, config}});
  Row row(path, "SELECT sparsification, vertical, parallelism, config FROM runs");
  EXPECT_EQ(row.text(0), "topk");
  EXPECT_EQ(row.text(1), "none");
  EXPECT_EQ(row.text(2), "sync");
  EXPECT_EQ(json::parse(row.text(3)), config);
  EXPECT_EQ(store.runs_of(sweep_id).front().config["sparsification"]["ratio"], 0.01);
}

TEST(results_store, AnAxisValueWithoutAMethodIsAnErrorNamingTheAxis) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  json config = config_with_seed(1);
  config["compression"] = {{"ratio", 0.5}};
  try {
    store.register_sweep("s", "", {{"key-a", 0, config}});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'compression'"), std::string::npos) << message;
    EXPECT_NE(message.find("key-a"), std::string::npos) << message;
  }
  EXPECT_EQ(count(path, "SELECT count(*) FROM runs"), 0);  // the transaction rolled back
}

TEST(results_store, RunStatusesByKeyOfOneSweep) {
  test_support::TempDir dir;
  Store store(dir.file("iddl.db"));
  const int64_t sweep_id = store.register_sweep("s", "", three_runs());
  store.register_sweep("other", "", {{"key-x", 0, config_with_seed(9)}});
  const std::vector<RunRow> runs = store.runs_of(sweep_id);
  store.mark_running(runs[0].id);
  store.record_finished(runs[0].id, kFinished);
  store.mark_running(runs[1].id);
  EXPECT_EQ(store.run_statuses("s"), (std::map<std::string, std::string>{
                                         {"key-a", "done"}, {"key-b", "running"}, {"key-c", "pending"}}));
  EXPECT_EQ(store.run_statuses("other"), (std::map<std::string, std::string>{{"key-x", "pending"}}));
  EXPECT_TRUE(store.run_statuses("unknown").empty());
}

// What a rerun may resume from: the epochs stored without a gap from epoch 1.
TEST(results_store, StoredEpochsStopAtTheFirstGap) {
  test_support::TempDir dir;
  Store store(dir.file("iddl.db"));
  const std::vector<RunRow> runs = store.runs_of(store.register_sweep("s", "", three_runs()));
  store.mark_running(runs[0].id);
  EXPECT_EQ(store.stored_epochs(runs[0].id), 0);
  for (const int epoch : {1, 2, 4}) store.record_epoch(runs[0].id, {{"epoch", epoch}, {"train_loss", 0.5}});
  EXPECT_EQ(store.stored_epochs(runs[0].id), 2);
  store.record_epoch(runs[1].id, {{"epoch", 2}, {"train_loss", 0.5}});
  EXPECT_EQ(store.stored_epochs(runs[1].id), 0);
}

TEST(results_store, CachedStatementsServeManyEventsAndSurviveAFailedOne) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const std::vector<RunRow> runs = store.runs_of(store.register_sweep("s", "", three_runs()));
  for (const RunRow& run : runs) store.mark_running(run.id);
  for (int epoch = 1; epoch <= 50; ++epoch) {
    for (const RunRow& run : runs) store.record_epoch(run.id, epoch_event(epoch, 0.5));
  }
  EXPECT_THROW(store.record_epoch(runs[0].id, {{"epoch", 51}, {"train_loss", "nan"}}), std::runtime_error);
  store.record_epoch(runs[0].id, epoch_event(51, 0.75));
  EXPECT_EQ(count(path, "SELECT count(*) FROM epochs"), 151);
  EXPECT_EQ(count(path, "SELECT count(*) FROM epochs WHERE run_id = " + std::to_string(runs[0].id)), 51);
  store.mark_running(runs[0].id);
  store.record_started(runs[0].id, kStarted);  // the attempt starts afresh: its earlier epochs go
  EXPECT_EQ(count(path, "SELECT count(*) FROM epochs"), 100);
}

TEST(results_store, DownpourStalenessIsStoredWithTheSummary) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", three_runs())).front().id;
  store.mark_running(run_id);
  store.record_finished(run_id, {{"test_accuracy", 0.5}, {"staleness_mean", 0.75}});
  Row run(path, "SELECT staleness_mean, status FROM runs WHERE id = " + std::to_string(run_id));
  EXPECT_EQ(run.real(0), 0.75);
  EXPECT_EQ(run.text(1), "done");
}

// name -> value of a run's run_metrics rows.
std::map<std::string, double> run_metrics(const std::string& path, int64_t run_id) {
  Database db(path);
  Statement select = db.prepare("SELECT name, value FROM run_metrics WHERE run_id = ?1 ORDER BY name");
  select.bind_int(1, run_id);
  std::map<std::string, double> values;
  while (select.step()) values.emplace(select.column_text(0), select.column_real(1));
  return values;
}

// The message of the error record_finished throws for the event ("" when it stores it).
std::string finished_error(Store& store, int64_t run_id, const json& event) {
  try {
    store.record_finished(run_id, event);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

TEST(results_store, CompressionRatioAndNamedMetricsAreStoredWithTheSummary) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", three_runs())).front().id;
  store.mark_running(run_id);
  json event = kFinished;
  event["compression_ratio"] = 0.0123;
  event["metrics"] = {{"member_accuracy.0", 0.84}, {"exit_flops.1", 88000}, {"baseline_inference_time_s", 0.21}};
  store.record_finished(run_id, event);
  Row run(path, "SELECT compression_ratio, status, test_accuracy FROM runs WHERE id = " + std::to_string(run_id));
  EXPECT_EQ(run.real(0), 0.0123);
  EXPECT_EQ(run.text(1), "done");
  EXPECT_EQ(run.real(2), 0.8765);
  EXPECT_EQ(run_metrics(path, run_id), (std::map<std::string, double>{
                                           {"baseline_inference_time_s", 0.21},
                                           {"exit_flops.1", 88000},
                                           {"member_accuracy.0", 0.84}}));
  EXPECT_EQ(Row(path, "SELECT typeof(value) FROM run_metrics WHERE name = 'exit_flops.1'").text(0), "real");
}

TEST(results_store, MachineFactsOfRunStartedAreStoredForGrouping) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const auto runs = store.runs_of(store.register_sweep("s", "", three_runs()));
  store.mark_running(runs[0].id);
  store.mark_running(runs[1].id);
  json event = kStarted;
  event.update({{"cpu_sockets", 2},
                {"memory_bytes", int64_t{540} * 1000 * 1000 * 1000},
                {"gpu_name", "Tesla V100-SXM2-16GB"},
                {"gpu_count", 2},
                {"gpu_memory_bytes", int64_t{16160} * 1024 * 1024},
                {"gpu_driver", "470.57.02"},
                {"cuda_version", "11.4"},
                {"gpu_topology", "X NV2; NV2 X"},
                {"nccl_version", "2.28.9"}});
  store.record_started(runs[0].id, event);
  store.record_started(runs[1].id, {{"host", "cpu-box"}, {"cpu_sockets", 1}, {"gpu_count", 0}, {"nccl_version", "none"}});
  Row gpu(path, "SELECT cpu_sockets, memory_bytes, gpu_name, gpu_count, gpu_memory_bytes, gpu_driver, cuda_version, "
                "gpu_topology, nccl_version FROM runs WHERE id = " + std::to_string(runs[0].id));
  EXPECT_EQ(gpu.integer(0), 2);
  EXPECT_EQ(gpu.integer(1), int64_t{540} * 1000 * 1000 * 1000);
  EXPECT_EQ(gpu.text(2), "Tesla V100-SXM2-16GB");
  EXPECT_EQ(gpu.integer(3), 2);
  EXPECT_EQ(gpu.integer(4), int64_t{16160} * 1024 * 1024);
  EXPECT_EQ(gpu.text(5), "470.57.02");
  EXPECT_EQ(gpu.text(6), "11.4");
  EXPECT_EQ(gpu.text(7), "X NV2; NV2 X");
  EXPECT_EQ(gpu.text(8), "2.28.9");
  Row cpu(path, "SELECT gpu_name, gpu_count, cuda_version FROM runs WHERE id = " + std::to_string(runs[1].id));
  EXPECT_TRUE(cpu.null(0));
  EXPECT_EQ(cpu.integer(1), 0);
  EXPECT_TRUE(cpu.null(2));
  EXPECT_EQ(count(path, "SELECT count(DISTINCT gpu_count) FROM runs WHERE gpu_count IS NOT NULL"), 2);
  EXPECT_THROW(store.record_started(runs[0].id, {{"gpu_count", "two"}}), std::runtime_error);
}

TEST(results_store, WithoutCompressionOrMetricsNothingIsRecorded) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", three_runs())).front().id;
  store.mark_running(run_id);
  json event = kFinished;
  event["metrics"] = {{"exit_fraction.1", nullptr}};  // null: not reported
  store.record_finished(run_id, event);
  EXPECT_TRUE(Row(path, "SELECT compression_ratio FROM runs WHERE id = " + std::to_string(run_id)).null(0));
  EXPECT_TRUE(run_metrics(path, run_id).empty());
}

TEST(results_store, ARepeatedFinishedEventReplacesItsNamedMetricsAndKeepsTheOthers) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", three_runs())).front().id;
  store.mark_running(run_id);
  store.record_finished(run_id, {{"metrics", {{"exit_accuracy.1", 0.8}, {"exit_fraction.1", 0.62}}}});
  store.record_finished(run_id, {{"metrics", {{"exit_accuracy.1", 0.81}, {"exit_accuracy.2", 0.9}}}});
  const std::map<std::string, double> expected = {
      {"exit_accuracy.1", 0.81}, {"exit_accuracy.2", 0.9}, {"exit_fraction.1", 0.62}};
  EXPECT_EQ(run_metrics(path, run_id), expected);
}

TEST(results_store, BadNamedMetricsAreErrorsNamingTheRunAndTheFieldAndStoreNothing) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", three_runs())).front().id;
  store.mark_running(run_id);
  const std::string run = "run_finished event of run " + std::to_string(run_id);

  const std::string not_number =
      finished_error(store, run_id, {{"test_accuracy", 0.5}, {"metrics", {{"a.1", 0.5}, {"exit_fraction.1", "high"}}}});
  EXPECT_NE(not_number.find(path), std::string::npos) << not_number;
  EXPECT_NE(not_number.find(run), std::string::npos) << not_number;
  EXPECT_NE(not_number.find("field 'metrics.exit_fraction.1' must be a number, got \"high\""), std::string::npos)
      << not_number;

  const std::string bad_name = finished_error(store, run_id, {{"metrics", {{"exit accuracy", 0.5}}}});
  EXPECT_NE(bad_name.find(run), std::string::npos) << bad_name;
  EXPECT_NE(bad_name.find("field 'metrics' has a bad name 'exit accuracy'"), std::string::npos) << bad_name;
  EXPECT_NE(finished_error(store, run_id, {{"metrics", {{"", 0.5}}}}).find("bad name ''"), std::string::npos);

  const std::string not_object = finished_error(store, run_id, {{"metrics", json::array({0.5})}});
  EXPECT_NE(not_object.find("field 'metrics' must be an object of name -> number, got [0.5]"), std::string::npos)
      << not_object;

  const std::string ratio = finished_error(store, run_id, {{"compression_ratio", "1%"}});
  EXPECT_NE(ratio.find("field 'compression_ratio' must be a number"), std::string::npos) << ratio;

  Row after(path, "SELECT status, test_accuracy FROM runs WHERE id = " + std::to_string(run_id));
  EXPECT_EQ(after.text(0), "running");  // each failed event rolled back whole
  EXPECT_TRUE(after.null(1));
  EXPECT_TRUE(run_metrics(path, run_id).empty());
}

TEST(results_store, RetriedRunDropsThePreviousAttemptsNamedMetricsAndCompressionRatio) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const std::vector<RunRow> runs = store.runs_of(store.register_sweep("s", "", three_runs()));
  for (const RunRow& run : {runs[0], runs[1]}) {
    store.mark_running(run.id);
    store.record_finished(run.id, {{"compression_ratio", 0.5}, {"metrics", {{"member_accuracy.0", 0.84}}}});
  }
  store.mark_running(runs[0].id);
  EXPECT_TRUE(run_metrics(path, runs[0].id).empty());
  EXPECT_TRUE(Row(path, "SELECT compression_ratio FROM runs WHERE id = " + std::to_string(runs[0].id)).null(0));
  EXPECT_EQ(run_metrics(path, runs[1].id), (std::map<std::string, double>{{"member_accuracy.0", 0.84}}));
}

TEST(results_store, MissingEventFieldsAreNullAndNeverEraseRecordedValues) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", three_runs())).front().id;
  store.mark_running(run_id);
  store.record_started(run_id, {{"host", "node-1"}, {"params", 10}, {"flops", 20}});
  store.record_epoch(run_id, {{"epoch", 1}, {"train_loss", 1.5}});
  store.record_finished(run_id, {{"test_accuracy", 0.5}});
  Row run(path, "SELECT host, device, params, flops, test_accuracy, train_time_s FROM runs WHERE id = " +
                    std::to_string(run_id));
  EXPECT_EQ(run.text(0), "node-1");
  EXPECT_TRUE(run.null(1));
  EXPECT_EQ(run.integer(2), 10);
  EXPECT_EQ(run.integer(3), 20);
  EXPECT_EQ(run.real(4), 0.5);
  EXPECT_TRUE(run.null(5));
  Row epoch(path, "SELECT train_loss, test_loss FROM epochs");
  EXPECT_EQ(epoch.real(0), 1.5);
  EXPECT_TRUE(epoch.null(1));
}

TEST(results_store, RepeatedEpochEventReplacesItsRow) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", three_runs())).front().id;
  store.mark_running(run_id);
  store.record_epoch(run_id, epoch_event(1, 0.5));
  store.record_epoch(run_id, epoch_event(1, 0.75));
  EXPECT_EQ(count(path, "SELECT count(*) FROM epochs"), 1);
  EXPECT_EQ(Row(path, "SELECT test_accuracy FROM epochs").real(0), 0.75);
}

TEST(results_store, WrongFieldTypeIsAnErrorNamingTheField) {
  test_support::TempDir dir;
  Store store(dir.file("iddl.db"));
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", three_runs())).front().id;
  try {
    store.record_started(run_id, {{"threads", "four"}});
    FAIL() << "expected a type error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("'threads'"), std::string::npos) << error.what();
  }
  EXPECT_THROW(store.record_epoch(run_id, {{"train_loss", 1.0}}), std::runtime_error);
}

TEST(results_store, ReRegisteringKeepsDoneRunsAndAddsOnlyNewOnes) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t sweep_id = store.register_sweep("s", "a.toml", three_runs());
  const int64_t done_id = store.runs_of(sweep_id)[1].id;
  store.mark_running(done_id);
  store.record_finished(done_id, kFinished);

  std::vector<PlannedRunRow> grown = three_runs();
  grown[1].config["lr"] = 0.5;  // same key: the stored row must not change
  grown.push_back({"key-d", 3, config_with_seed(4)});
  EXPECT_EQ(store.register_sweep("s", "b.toml", grown), sweep_id);

  const std::vector<RunRow> runs = store.runs_of(sweep_id);
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[1].id, done_id);
  EXPECT_EQ(runs[1].status, "done");
  EXPECT_EQ(runs[1].config, config_with_seed(2));
  EXPECT_EQ(runs[3].key, "key-d");
  EXPECT_EQ(runs[3].status, "pending");
  EXPECT_EQ(count(path, "SELECT count(*) FROM sweeps"), 1);
  EXPECT_EQ(Row(path, "SELECT file FROM sweeps").text(0), "a.toml");
  EXPECT_EQ(Row(path, "SELECT test_accuracy FROM runs WHERE id = " + std::to_string(done_id)).real(0), 0.8765);
}

TEST(results_store, SweepsKeepTheirOwnRuns) {
  test_support::TempDir dir;
  Store store(dir.file("iddl.db"));
  const int64_t first = store.register_sweep("first", "", three_runs());
  const int64_t second = store.register_sweep("second", "", {{"key-a", 0, config_with_seed(1)}});
  EXPECT_NE(first, second);
  EXPECT_EQ(store.runs_of(first).size(), 3u);
  EXPECT_EQ(store.runs_of(second).size(), 1u);
}

TEST(results_store, RetriedRunStartsClean) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", three_runs())).front().id;
  store.mark_running(run_id);
  store.record_started(run_id, kStarted);
  store.record_epoch(run_id, epoch_event(1, 0.5));
  store.record_failure(run_id, RunStatus::Failed, 134, "iddl-train aborted", "terminate called after ...");

  Row failed(path, "SELECT status, exit_code, error, stderr_tail, finished_at FROM runs");
  EXPECT_EQ(failed.text(0), "failed");
  EXPECT_EQ(failed.integer(1), 134);
  EXPECT_EQ(failed.text(2), "iddl-train aborted");
  EXPECT_EQ(failed.text(3), "terminate called after ...");
  EXPECT_TRUE(std::regex_match(failed.text(4), kIsoUtc));

  store.mark_running(run_id);
  EXPECT_EQ(count(path, "SELECT count(*) FROM epochs"), 1) << "kept until the attempt says where it starts";
  Row retried(path,
              "SELECT status, exit_code, error, stderr_tail, finished_at, host, params, test_accuracy, started_at "
              "FROM runs WHERE id = " + std::to_string(run_id));
  EXPECT_EQ(retried.text(0), "running");
  for (int column = 1; column <= 7; ++column) EXPECT_TRUE(retried.null(column)) << "column " << column;
  EXPECT_TRUE(std::regex_match(retried.text(8), kIsoUtc));
  store.record_started(run_id, kStarted);
  EXPECT_EQ(count(path, "SELECT count(*) FROM epochs"), 0) << "an attempt that starts afresh drops them";
}

TEST(results_store, AResumedRunKeepsTheEpochsUpToItsCheckpointAndDropsTheLaterOnes) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", three_runs())).front().id;
  store.mark_running(run_id);
  store.record_started(run_id, kStarted);
  for (int epoch = 1; epoch <= 3; ++epoch) store.record_epoch(run_id, epoch_event(epoch, 0.5));
  store.record_failure(run_id, RunStatus::Interrupted, std::nullopt, "stopped by a signal to iddl-sweep", "");

  store.mark_running(run_id);
  nlohmann::json resumed = kStarted;
  resumed["resumed_from_epoch"] = 2;
  store.record_started(run_id, resumed);
  EXPECT_EQ(count(path, "SELECT count(*) FROM epochs WHERE epoch <= 2"), 2);
  EXPECT_EQ(count(path, "SELECT count(*) FROM epochs"), 2) << "epoch 3 came after the checkpoint: run again";
  EXPECT_EQ(count(path, "SELECT resumed_from_epoch FROM runs WHERE id = " + std::to_string(run_id)), 2);

  store.mark_running(run_id);
  EXPECT_TRUE(Row(path, "SELECT resumed_from_epoch FROM runs WHERE id = " + std::to_string(run_id)).null(0))
      << "each attempt says anew whether it resumed";
}

TEST(results_store, ARunsArtifactsAreListedAndGoWithTheRun) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t run_id = store.runs_of(store.register_sweep("s", "", three_runs())).front().id;
  store.add_artifact(run_id, kCheckpointsArtifact, "/ckpt/s/key-a");
  store.add_artifact(run_id, kModelArtifact, "/models/s/key-a/rank1.pt");
  store.add_artifact(run_id, kModelArtifact, "/models/s/key-a/rank0.pt");
  store.add_artifact(run_id, kModelArtifact, "/models/s/key-a/rank0.pt");  // kept once
  store.drop_artifacts(run_id, kCheckpointsArtifact);
  Database db(path);
  configure_connection(db);
  const std::vector<Artifact> listed = run_artifacts(db, run_id);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].kind, "model");
  EXPECT_EQ(listed[0].path, "/models/s/key-a/rank0.pt");
  EXPECT_EQ(listed[1].path, "/models/s/key-a/rank1.pt");
  db.exec("DELETE FROM runs WHERE id = " + std::to_string(run_id));
  EXPECT_TRUE(run_artifacts(db, run_id).empty());
}

TEST(results_store, FailureStatusMustBeAFailure) {
  test_support::TempDir dir;
  Store store(dir.file("iddl.db"));
  const int64_t sweep_id = store.register_sweep("s", "", three_runs());
  const int64_t run_id = store.runs_of(sweep_id).front().id;
  EXPECT_THROW(store.record_failure(run_id, RunStatus::Done, 0, "", ""), std::invalid_argument);
  store.record_failure(run_id, RunStatus::Timeout, std::nullopt, "exceeded 600 s", "");
  EXPECT_EQ(store.runs_of(sweep_id).front().status, "timeout");
}

TEST(results_store, UnknownRunIsAnError) {
  test_support::TempDir dir;
  Store store(dir.file("iddl.db"));
  store.register_sweep("s", "", three_runs());
  EXPECT_THROW(store.mark_running(999), std::runtime_error);
  EXPECT_THROW(store.record_finished(999, kFinished), std::runtime_error);
  EXPECT_THROW(store.record_epoch(999, epoch_event(1, 0.5)), std::runtime_error);  // foreign key
}

TEST(results_store, StaleRunningRowsBecomeInterrupted) {
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  Store store(path);
  const int64_t sweep_id = store.register_sweep("s", "", three_runs());
  const int64_t other_sweep = store.register_sweep("other", "", {{"key-x", 0, config_with_seed(9)}});
  const std::vector<RunRow> runs = store.runs_of(sweep_id);
  store.mark_running(runs[0].id);
  store.mark_running(runs[1].id);
  store.record_finished(runs[1].id, kFinished);
  store.mark_running(runs[2].id);
  store.mark_running(store.runs_of(other_sweep).front().id);

  EXPECT_EQ(store.mark_stale_running_interrupted(sweep_id), 2);
  const std::vector<RunRow> after = store.runs_of(sweep_id);
  EXPECT_EQ(after[0].status, "interrupted");
  EXPECT_EQ(after[1].status, "done");
  EXPECT_EQ(after[2].status, "interrupted");
  EXPECT_EQ(store.runs_of(other_sweep).front().status, "running");
  EXPECT_EQ(count(path, "SELECT count(*) FROM runs WHERE status = 'interrupted' AND error IS NOT NULL"), 2);
  EXPECT_EQ(store.mark_stale_running_interrupted(sweep_id), 0);
}

}  // namespace
}  // namespace iddl::results
