#include "runners/launch/slurm_queue.hpp"

#include <fmt/format.h>

#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "hardware/program_output.hpp"

namespace iddl::launch {
namespace {

// How long one squeue, sacct or sbatch call may take before it counts as no answer.
const hardware::ProgramOptions kSlurmCall{std::chrono::minutes(2), {}};

// The parts of `text` between `separator`s: the lines of an output, the fields of a '|'-separated line.
std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
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

std::map<int, SlurmTask> slurm_array_tasks(const std::string& job_id) {
  if (!hardware::find_program("squeue"))
    throw std::runtime_error("squeue is not on PATH: cannot ask Slurm about job " + job_id);
  std::map<int, SlurmTask> tasks;
  // -r: one line per array task, pending ones too; --states=all: ended tasks Slurm still remembers (MinJobAge).
  const hardware::ProgramResult squeue = hardware::run_program(
      {"squeue", "--noheader", "--array", "--states=all", "--jobs=" + job_id, "--format=%i|%T|%R"}, kSlurmCall);
  for (const std::string& line : split(squeue.out, '\n')) {
    const auto parts = split(line, '|');
    const int index = parts.size() >= 2 ? task_index(parts[0], job_id) : -1;
    if (index >= 0) tasks[index] = {parts[1], parts.size() >= 3 ? parts[2] : ""};
  }
  // "Invalid job id specified": Slurm has forgotten the job (MinJobAge); anything else is no answer.
  if (squeue.timed_out || (squeue.exit_code != 0 && squeue.err.find("Invalid job id") == std::string::npos))
    throw std::runtime_error(fmt::format("squeue about job {} {}: {}", job_id,
                                         hardware::program_ending(squeue, kSlurmCall),
                                         squeue.err.substr(0, squeue.err.find_last_not_of('\n') + 1)));
  if (!hardware::find_program("sacct")) return tasks;
  // Without accounting sacct fails and prints nothing on stdout: squeue's answer stands.
  const hardware::ProgramResult sacct = hardware::run_program(
      {"sacct", "--noheader", "--parsable2", "--allocations", "--jobs=" + job_id, "--format=JobID,State,NodeList"},
      kSlurmCall);
  for (const std::string& line : split(sacct.out, '\n')) {
    const auto parts = split(line, '|');
    const int index = parts.size() >= 2 ? task_index(parts[0], job_id) : -1;
    if (index >= 0 && tasks.count(index) == 0) tasks[index] = {state_word(parts[1]), parts.size() >= 3 ? parts[2] : ""};
  }
  return tasks;
}

bool slurm_task_ended(const std::string& state) {
  static const std::set<std::string> ended{"COMPLETED", "FAILED",  "TIMEOUT",       "CANCELLED", "NODE_FAIL",
                                           "PREEMPTED", "BOOT_FAIL", "OUT_OF_MEMORY", "DEADLINE",  "SPECIAL_EXIT"};
  return ended.count(state) > 0;
}

std::string sbatch_submit(const std::string& script) {
  const hardware::ProgramResult result = hardware::run_program({"sbatch", "--parsable", script}, kSlurmCall);
  if (result.timed_out || result.exit_code != 0)
    throw std::runtime_error(
        fmt::format("sbatch {} {}: {}", script, hardware::program_ending(result, kSlurmCall), result.err));
  const std::string out = result.out.substr(0, result.out.find('\n'));
  const std::string job_id = out.substr(0, out.find(';'));  // "<id>;<cluster>" on multi-cluster sites
  if (job_id.empty() || job_id.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error(fmt::format("sbatch {} printed no job id: '{}'", script, out));
  return job_id;
}

}  // namespace iddl::launch
