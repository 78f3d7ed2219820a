#include "runners/launch/slurm_queue.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "runners/launch/child_process.hpp"

namespace iddl::launch {
namespace {

// The fields of a '|'-separated line.
std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> parts;
  std::stringstream in(line);
  for (std::string part; std::getline(in, part, '|');) parts.push_back(part);
  return parts;
}

// The task index of "<job>_<index>", or -1 for a range ("<job>_[1-3]") or another job's line.
int task_index(const std::string& id, const std::string& job_id) {
  const std::string prefix = job_id + "_";
  if (id.rfind(prefix, 0) != 0) return -1;
  const std::string index = id.substr(prefix.size());
  if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(index);
}

// The first word of a state: sacct writes "CANCELLED by 0".
std::string state_word(const std::string& state) { return state.substr(0, state.find(' ')); }

}  // namespace

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path != nullptr ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');)
    if (!folder.empty() && access((folder + "/" + program).c_str(), X_OK) == 0) return true;
  return false;
}

std::map<int, SlurmTask> slurm_array_tasks(const std::string& job_id) {
  if (!on_path("squeue")) throw std::runtime_error("squeue is not on PATH: cannot ask Slurm about job " + job_id);
  std::map<int, SlurmTask> tasks;
  // -r: one line per array task, pending ones too; --states=all: ended tasks Slurm still remembers (MinJobAge).
  const ChildResult squeue = run_child(
      {"squeue", "--noheader", "--array", "--states=all", "--jobs=" + job_id, "--format=%i|%T|%R"},
      [&](const std::string& line) {
        const auto parts = fields(line);
        const int index = parts.size() >= 2 ? task_index(parts[0], job_id) : -1;
        if (index >= 0) tasks[index] = {parts[1], parts.size() >= 3 ? parts[2] : ""};
      });
  // "Invalid job id specified": Slurm has forgotten the job (MinJobAge); anything else is no answer.
  if (squeue.exit_code != 0 && squeue.stderr_tail.find("Invalid job id") == std::string::npos)
    throw std::runtime_error(fmt::format("squeue about job {} exited with code {}: {}", job_id, squeue.exit_code,
                                         squeue.stderr_tail.substr(0, squeue.stderr_tail.find_last_not_of('\n') + 1)));
  if (!on_path("sacct")) return tasks;
  // Without accounting sacct fails and prints nothing on stdout: squeue's answer stands.
  run_child({"sacct", "--noheader", "--parsable2", "--allocations", "--jobs=" + job_id,
             "--format=JobID,State,NodeList"},
            [&](const std::string& line) {
              const auto parts = fields(line);
              const int index = parts.size() >= 2 ? task_index(parts[0], job_id) : -1;
              if (index >= 0 && tasks.count(index) == 0)
                tasks[index] = {state_word(parts[1]), parts.size() >= 3 ? parts[2] : ""};
            });
  return tasks;
}

bool slurm_task_ended(const std::string& state) {
  static const std::set<std::string> ended{"COMPLETED", "FAILED",  "TIMEOUT",       "CANCELLED", "NODE_FAIL",
                                           "PREEMPTED", "BOOT_FAIL", "OUT_OF_MEMORY", "DEADLINE",  "SPECIAL_EXIT"};
  return ended.count(state) > 0;
}

std::string sbatch_submit(const std::string& script) {
  std::string out;
  const ChildResult result = run_child({"sbatch", "--parsable", script}, [&](const std::string& line) { out += line; });
  if (result.exit_code != 0)
    throw std::runtime_error(fmt::format("sbatch {} exited with code {}: {}", script, result.exit_code, result.stderr_tail));
  const std::string job_id = out.substr(0, out.find(';'));  // "<id>;<cluster>" on multi-cluster sites
  if (job_id.empty() || job_id.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error(fmt::format("sbatch {} printed no job id: '{}'", script, out));
  return job_id;
}

}  // namespace iddl::launch
