#include "runners/launch/run_filter.hpp"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "results/sqlite.hpp"
#include "results/store.hpp"

namespace iddl::launch {
namespace {

// A fresh folder under the temporary directory, removed with everything in it when this goes.
class ScratchFolder {
 public:
  ScratchFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "iddl-where-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("cannot make a scratch folder in " + std::filesystem::temp_directory_path().string());
    path_ = pattern;
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

std::set<std::string> runs_where(const matrix::Sweep& sweep, const std::string& where) {
  const ScratchFolder scratch;
  const std::string path = (scratch.path() / "plan.db").string();
  std::vector<results::PlannedRunRow> rows;
  for (const auto& run : sweep.runs) rows.push_back({run.key, run.repeat, run.config});
  results::Store(path).register_sweep(sweep.name, "", rows);
  results::Database db(path, results::Database::Mode::ReadOnly);
  std::set<std::string> keys;
  try {
    results::Statement select = db.prepare("SELECT run_key FROM runs WHERE (" + where + ")");
    while (select.step()) keys.insert(select.column_text(0));
  } catch (const results::SqliteError& e) {
    throw std::invalid_argument(fmt::format("--where \"{}\": {}", where, e.sqlite_message()));
  }
  return keys;
}

std::optional<std::set<std::string>> restricted_keys(const matrix::Sweep& sweep, const SweepOptions& options) {
  if (options.only.empty() && options.where.empty()) return std::nullopt;
  std::set<std::string> planned;
  for (const auto& run : sweep.runs) planned.insert(run.key);
  std::set<std::string> keys = planned;
  if (!options.only.empty()) {
    keys.clear();
    for (const auto& key : options.only) {
      if (planned.count(key) == 0)
        throw std::invalid_argument(fmt::format("--only {}: {} plans no run with this key (iddl-sweep plan {} lists "
                                                "them)",
                                                key, sweep.file, sweep.file));
      keys.insert(key);
    }
  }
  if (!options.where.empty()) {
    const std::set<std::string> matching = runs_where(sweep, options.where);
    if (matching.empty())
      throw std::invalid_argument(
          fmt::format("--where \"{}\" matches none of the {} runs {} plans", options.where, sweep.runs.size(), sweep.file));
    std::set<std::string> both;
    for (const auto& key : keys)
      if (matching.count(key) > 0) both.insert(key);
    if (both.empty())
      throw std::invalid_argument(fmt::format("--where \"{}\" matches none of the runs given with --only", options.where));
    keys = both;
  }
  return keys;
}

}  // namespace iddl::launch
