#pragma once
#include <optional>
#include <string>
#include <vector>

namespace iddl::launch {

// The Slurm job array a sweep was last submitted as, kept next to the database.
struct SlurmJobRecord {
  std::string job_id;
  std::string run_list;      // line i: the run spec of array task i
  std::string journal_dir;   // the tasks' journals
  std::string submitted_at;  // ISO-8601 UTC
};

// The record of a job submitted now.
SlurmJobRecord new_slurm_job_record(const std::string& job_id, const std::string& run_list, const std::string& journal_dir);

// Where the record of `sweep` on the database `db_path` is kept: `<db_path>.<sweep>.slurm.json`.
std::string slurm_job_record_path(const std::string& db_path, const std::string& sweep);

// Writes the record (replacing the previous submission's); throws std::runtime_error naming the file.
void write_slurm_job_record(const std::string& path, const SlurmJobRecord& record);

// The record at `path`; none when there is no such file. Throws naming the file when it is not a record.
std::optional<SlurmJobRecord> read_slurm_job_record(const std::string& path);

// The run key of each array task of the record's job: line i of its run list.
std::vector<std::string> task_run_keys(const SlurmJobRecord& record);

}  // namespace iddl::launch
