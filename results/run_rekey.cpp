#include "results/run_rekey.hpp"

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "matrix/run_key.hpp"
#include "results/run_status.hpp"

namespace iddl::results {
namespace {

// One stored run as re-keying sees it.
struct KeyedRun {
  int64_t id;
  int64_t sweep_id;
  std::string old_key, new_key, status, finished_at;
};

bool has_meta_table(Database& db) {
  Statement find = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'iddl_meta'");
  return find.step();
}

// Whether run a is the one to trust over b when both take one key: done first, then the latest finished,
// then the first stored.
bool trusted_over(const KeyedRun& a, const KeyedRun& b) {
  return std::make_tuple(a.status == to_string(RunStatus::Done), a.finished_at, -a.id) >
         std::make_tuple(b.status == to_string(RunStatus::Done), b.finished_at, -b.id);
}

std::vector<KeyedRun> runs_with_new_keys(Database& db) {
  Statement select =
      db.prepare("SELECT id, sweep_id, run_key, status, COALESCE(finished_at, ''), config FROM runs ORDER BY id");
  std::vector<KeyedRun> runs;
  while (select.step()) {
    const std::string config_text = select.column_text(5);
    const nlohmann::json config = nlohmann::json::parse(config_text, nullptr, false);
    if (config.is_discarded())
      throw std::runtime_error(db.path() + ": run " + std::to_string(select.column_int(0)) +
                               " has a config that is not JSON; cannot re-key it");
    runs.push_back({select.column_int(0), select.column_int(1), select.column_text(2), matrix::run_key(config),
                    select.column_text(3), select.column_text(4)});
  }
  return runs;
}

}  // namespace

int stored_run_key_version(Database& db) {
  if (!has_meta_table(db)) return 1;
  Statement select = db.prepare("SELECT value FROM iddl_meta WHERE name = 'run_key_version'");
  return select.step() ? std::stoi(select.column_text(0)) : 1;
}

int rekey_runs(Database& db) {
  if (stored_run_key_version(db) >= matrix::kRunKeyVersion) return 0;
  Transaction transaction(db);
  if (stored_run_key_version(db) >= matrix::kRunKeyVersion) return 0;  // another writer re-keyed meanwhile
  std::vector<KeyedRun> runs = runs_with_new_keys(db);
  std::map<std::pair<int64_t, std::string>, KeyedRun*> owner;  // (sweep, new key) -> the run keeping it
  for (KeyedRun& run : runs) {
    auto [it, inserted] = owner.emplace(std::make_pair(run.sweep_id, run.new_key), &run);
    if (!inserted && trusted_over(run, *it->second)) it->second = &run;
  }
  for (KeyedRun& run : runs)
    if (owner.at({run.sweep_id, run.new_key}) != &run) run.new_key += "-superseded-" + std::to_string(run.id);
  // Two passes so that no intermediate state breaks UNIQUE (sweep_id, run_key).
  Statement set_key = db.prepare("UPDATE runs SET run_key = ?1 WHERE id = ?2");
  int changed = 0;
  for (const KeyedRun& run : runs) {
    if (run.new_key == run.old_key) continue;
    set_key.reset();
    set_key.bind_text(1, "rekeying-" + std::to_string(run.id)).bind_int(2, run.id).run();
  }
  for (const KeyedRun& run : runs) {
    if (run.new_key == run.old_key) continue;
    set_key.reset();
    set_key.bind_text(1, run.new_key).bind_int(2, run.id).run();
    ++changed;
  }
  Statement set_version = db.prepare(
      "INSERT INTO iddl_meta (name, value) VALUES ('run_key_version', ?1) "
      "ON CONFLICT (name) DO UPDATE SET value = excluded.value");
  set_version.bind_text(1, std::to_string(matrix::kRunKeyVersion)).run();
  transaction.commit();
  return changed;
}

}  // namespace iddl::results
