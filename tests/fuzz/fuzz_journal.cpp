// Fuzz target: a Slurm array task's journal (runners/launch/journal_collect.hpp): read, judged and collected into a
// fresh SQLite file. Any file either is collected or throws std::runtime_error naming it; nothing crashes.
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "runners/launch/journal_collect.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  const fs::path journals = iddl::fuzz::scratch_dir() / "journals";
  const fs::path store = iddl::fuzz::scratch_dir() / "store";  // the database and its lock files, fresh per input
  fs::remove_all(store);
  fs::create_directories(store);
  fs::create_directories(journals);
  const fs::path db = store / "collect.db";
  const std::string path = iddl::fuzz::write_scratch_file("journals/run.jsonl", data, size);
  try {
    const auto journal = iddl::launch::read_journal(path);
    const auto outcome = iddl::launch::journal_outcome(journal);
    if (outcome.status != "done" && (outcome.status != "failed" || outcome.error.empty())) __builtin_trap();
    std::ostringstream log;
    iddl::launch::collect_journals(db.string(), {journals.string()}, log);
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).find(path) == std::string::npos) __builtin_trap();  // the error names the journal
  }
  return 0;
}
