#include "runners/launch/slurm_job_record.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace iddl::launch {

SlurmJobRecord new_slurm_job_record(const std::string& job_id, const std::string& run_list, const std::string& journal_dir) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return {job_id, run_list, journal_dir, text};
}

std::string slurm_job_record_path(const std::string& db_path, const std::string& sweep) {
  return db_path + "." + sweep + ".slurm.json";
}

void write_slurm_job_record(const std::string& path, const SlurmJobRecord& record) {
  const nlohmann::json json{{"job_id", record.job_id},
                            {"run_list", record.run_list},
                            {"journal_dir", record.journal_dir},
                            {"submitted_at", record.submitted_at}};
  std::ofstream out(path, std::ios::trunc);
  out << json.dump(2) << "\n";
  if (!out.flush()) throw std::runtime_error(fmt::format("cannot write the Slurm job record '{}'", path));
}

std::optional<SlurmJobRecord> read_slurm_job_record(const std::string& path) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  std::ifstream in(path);
  const auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("job_id") || !json.contains("run_list") ||
      !json.contains("journal_dir"))
    throw std::runtime_error(fmt::format("{}: not a Slurm job record (job_id, run_list, journal_dir)", path));
  return SlurmJobRecord{json.at("job_id").get<std::string>(), json.at("run_list").get<std::string>(),
                        json.at("journal_dir").get<std::string>(), json.value("submitted_at", "")};
}

std::vector<std::string> task_run_keys(const SlurmJobRecord& record) {
  std::ifstream in(record.run_list);
  if (!in) throw std::runtime_error(fmt::format("cannot open the run list '{}' of Slurm job {}", record.run_list, record.job_id));
  std::vector<std::string> keys;
  for (std::string line; std::getline(in, line);) {
    const auto spec = nlohmann::json::parse(line, nullptr, false);
    if (spec.is_discarded() || !spec.is_object() || !spec.contains("run_key"))
      throw std::runtime_error(fmt::format("{}:{}: not a run spec", record.run_list, keys.size() + 1));
    keys.push_back(spec.at("run_key").get<std::string>());
  }
  return keys;
}

}  // namespace iddl::launch
