#include "runners/launch/sweep_runner.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <set>
#include <stdexcept>
#include <thread>

#include "core/data/dataset_files.hpp"
#include "hardware/blas_kernel.hpp"
#include "hardware/thread_budget.hpp"
#include "results/store.hpp"
#include "runners/launch/child_process.hpp"
#include "runners/launch/mpirun_command.hpp"
#include "runners/launch/run_recorder.hpp"

namespace iddl::launch {
namespace {

void require_data(const matrix::Sweep& sweep) {
  std::set<std::pair<std::string, std::string>> checked;
  for (const auto& run : sweep.runs) {
    const std::pair<std::string, std::string> where{run.config.at("dataset").get<std::string>(),
                                                    run.config.at("data_dir").get<std::string>()};
    if (!checked.insert(where).second) continue;
    if (!data::missing_files(where.first, where.second).empty())
      throw std::runtime_error(sweep.file + ": " + data::missing_files_message(where.first, where.second));
  }
}

std::vector<results::PlannedRunRow> planned_rows(const matrix::Sweep& sweep) {
  std::vector<results::PlannedRunRow> rows;
  for (const auto& run : sweep.runs) rows.push_back({run.key, run.repeat, run.config});
  return rows;
}

// "model=mlp parallelism=sync ranks=2": the settings that vary in the sweep.
std::string describe(const matrix::Sweep& sweep, const nlohmann::json& config) {
  std::string text;
  for (const auto& name : sweep.varying) {
    const auto& value = config.at(name);
    text += fmt::format("{}{}={}", text.empty() ? "" : " ", name,
                        value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text.empty() ? "(base settings)" : text;
}

std::string progress_line(const nlohmann::json& event, int64_t epochs) {
  const std::string kind = event.value("event", "");
  if (kind == "epoch")
    return fmt::format("epoch {}/{}  train_loss {:.4f}  test_loss {:.4f}  test_accuracy {:.2f}%  ({:.1f}s)",
                       event.value("epoch", 0), epochs, event.value("train_loss", 0.0), event.value("test_loss", 0.0),
                       100.0 * event.value("test_accuracy", 0.0), event.value("epoch_time_s", 0.0));
  if (kind == "run_finished")
    return fmt::format("done: test_accuracy {:.2f}%  train_time {:.1f}s  params {}  flops {}",
                       100.0 * event.value("test_accuracy", 0.0), event.value("train_time_s", 0.0),
                       event.value("params", int64_t{0}), event.value("flops", int64_t{0}));
  if (kind == "error") return "error: " + event.value("message", std::string());
  return "";
}

std::string failure_reason(const ChildResult& child, const RunRecorder& recorder) {
  if (!recorder.error().empty()) return recorder.error();
  if (child.exit_code == 0) return "iddl-train exited without reporting run_finished";
  return fmt::format("iddl-train exited with code {}", child.exit_code);
}

}  // namespace

SweepOutcome run_sweep(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log) {
  require_data(sweep);
  const hardware::BlasChoice blas = hardware::choose_blas(options.bin_dir + "/iddl-blas-probe", options.blas_coretype);
  log << fmt::format("BLAS: {} kernel {} ({})", blas.library, blas.kernel, blas.reason) << std::endl;

  results::Store store(options.db_path);
  const int64_t sweep_id = store.register_sweep(sweep.name, sweep.file, planned_rows(sweep));
  if (const int stale = store.mark_stale_running_interrupted(sweep_id))
    log << fmt::format("{} run(s) left running by an earlier invocation marked interrupted", stale) << std::endl;

  std::map<std::string, const matrix::PlannedRun*> planned;
  for (const auto& run : sweep.runs) planned[run.key] = &run;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  SweepOutcome outcome;
  int index = 0;
  const int total = static_cast<int>(sweep.runs.size());
  for (const auto& row : store.runs_of(sweep_id)) {
    const auto found = planned.find(row.key);
    if (found == planned.end()) continue;
    ++index;
    const matrix::PlannedRun& run = *found->second;
    const std::string label = fmt::format("[{}/{}] {} {}", index, total, run.key, describe(sweep, run.config));
    if (row.status == "done") {
      ++outcome.skipped;
      log << label << ": already done" << std::endl;
      continue;
    }
    log << label << ": starting" << std::endl;
    store.mark_running(row.id);
    MpirunOptions launch;
    launch.mpirun = options.mpirun;
    launch.train_exe = options.bin_dir + "/iddl-train";
    launch.ranks = run.config.at("ranks").get<int>();
    launch.threads_per_rank = hardware::threads_per_rank(run.config.at("threads").get<int>(), launch.ranks, cores);
    launch.as_root = geteuid() == 0;
    launch.blas_coretype = blas.coretype_env;
    const nlohmann::json spec{{"sweep", sweep.name}, {"run_key", run.key}, {"repeat", run.repeat}, {"config", run.config}};
    const int64_t epochs = run.config.at("epochs").get<int64_t>();
    RunRecorder recorder(store, row.id, [&](const nlohmann::json& event) {
      const std::string line = progress_line(event, epochs);
      if (!line.empty()) log << label << ": " << line << std::endl;
    });
    const ChildResult child =
        run_child(mpirun_argv(launch, spec.dump()), [&](const std::string& line) { recorder.on_line(line); });
    if (child.exit_code == 0 && recorder.finished()) {
      ++outcome.done;
      continue;
    }
    ++outcome.failed;
    const std::string reason = failure_reason(child, recorder);
    store.record_failure(row.id, "failed", child.exit_code, reason, recorder.other_output() + child.stderr_tail);
    log << label << ": FAILED: " << reason << std::endl;
  }
  log << fmt::format("sweep {}: {} done, {} failed, {} already done; results in {}", sweep.name, outcome.done,
                     outcome.failed, outcome.skipped, options.db_path)
      << std::endl;
  return outcome;
}

}  // namespace iddl::launch
