#include "runners/launch/run_task.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "hardware/device_rule.hpp"
#include "runners/launch/child_process.hpp"
#include "runners/launch/srun_command.hpp"

namespace iddl::launch {
namespace {

// Line `index` (0-based) of the run list, parsed.
nlohmann::json read_spec(const std::string& run_list, int index) {
  std::ifstream in(run_list);
  if (!in) throw std::runtime_error(fmt::format("cannot open the run list '{}'", run_list));
  std::string line;
  for (int i = 0; std::getline(in, line); ++i)
    if (i == index) {
      const auto spec = nlohmann::json::parse(line, nullptr, false);
      if (spec.is_discarded() || !spec.is_object() || !spec.contains("run_key") || !spec.contains("config"))
        throw std::runtime_error(fmt::format("{}:{}: not a run spec", run_list, index + 1));
      return spec;
    }
  throw std::runtime_error(fmt::format("the run list '{}' has no run {} (0-based)", run_list, index));
}

// Threads per rank: the run's setting, else Slurm's CPUs per task, else 1.
int task_threads(const nlohmann::json& config) {
  const int setting = config.at("threads").get<int>();
  if (setting > 0) return setting;
  const char* slurm = std::getenv("SLURM_CPUS_PER_TASK");
  return slurm != nullptr && std::atoi(slurm) > 0 ? std::atoi(slurm) : 1;
}

std::string host_name() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

}  // namespace

int run_task(const TaskOptions& o, std::ostream& log) {
  if (o.index < 0) throw std::runtime_error("no task index: give --index or set SLURM_ARRAY_TASK_ID");
  const nlohmann::json line = read_spec(o.run_list, o.index);
  const nlohmann::json spec{{"sweep", line.value("sweep", "")}, {"run_key", line.at("run_key")},
                            {"repeat", line.value("repeat", 0)}, {"config", line.at("config")}};
  const nlohmann::json& config = spec.at("config");

  SrunOptions srun;
  srun.srun = o.srun;
  srun.train_exe = o.bin_dir + "/iddl-train";
  srun.ranks = config.at("ranks").get<int>();
  srun.threads_per_rank = task_threads(config);
  srun.gpus_per_rank =
      hardware::uses_cuda(config.at("device").get<std::string>(), hardware::this_process_device_facts()) ? 1 : 0;
  srun.blas_coretype = o.blas_coretype;
  const auto argv = srun_argv(srun, spec.dump());

  std::filesystem::create_directories(o.journal_dir);
  const std::string path = o.journal_dir + "/" + spec.at("run_key").get<std::string>() + ".jsonl";
  std::ofstream journal(path, std::ios::trunc);
  nlohmann::json header = spec;
  header["event"] = "task";
  header["sweep_file"] = line.value("sweep_file", "");
  header["index"] = o.index;
  header["host"] = host_name();
  // Under Slurm: which array task wrote the journal, and how often Slurm restarted it (requeue).
  if (const char* job = std::getenv("SLURM_ARRAY_JOB_ID")) header["slurm_job"] = job;
  if (const char* task = std::getenv("SLURM_ARRAY_TASK_ID")) header["slurm_task"] = std::atoi(task);
  if (const char* restarts = std::getenv("SLURM_RESTART_COUNT")) header["restart"] = std::atoi(restarts);
  journal << header.dump() << std::endl;
  if (!journal) throw std::runtime_error(fmt::format("cannot write the journal '{}'", path));
  log << fmt::format("task {}: run {} -> {}", o.index, spec.at("run_key").get<std::string>(), path) << std::endl;

  bool finished = false;
  std::string other_output;
  ChildResult result;
  try {
    result = run_child(argv, [&](const std::string& text) {
      const auto event = nlohmann::json::parse(text, nullptr, false);
      if (event.is_discarded() || !event.is_object() || !event.contains("event")) {
        other_output += text + "\n";
        return;
      }
      finished = finished || event.at("event") == "run_finished";
      journal << text << std::endl;
    });
  } catch (const std::exception& e) {  // srun could not be started: the journal says why
    result.exit_code = 127;
    result.stderr_tail = e.what();
  }
  journal << nlohmann::json{{"event", "task_exit"}, {"exit_code", result.exit_code},
                            {"stderr_tail", other_output + result.stderr_tail}}
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
          << std::endl;
  if (result.exit_code == 127) log << "task " << o.index << ": " << result.stderr_tail << std::endl;
  return result.exit_code == 0 && finished ? 0 : 1;
}

}  // namespace iddl::launch
