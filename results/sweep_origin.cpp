#include "results/sweep_origin.hpp"

namespace iddl::results {

std::optional<SweepOrigin> sweep_origin(Database& db, const std::string& sweep) {
  Statement find = db.prepare("SELECT id, file FROM sweeps WHERE name = ?1");
  find.bind_text(1, sweep);
  if (!find.step()) return std::nullopt;
  SweepOrigin origin{find.column_text(1), {}};
  Statement keys = db.prepare("SELECT run_key FROM runs WHERE sweep_id = ?1");
  keys.bind_int(1, find.column_int(0));
  while (keys.step()) origin.run_keys.insert(keys.column_text(0));
  return origin;
}

void set_sweep_file(Database& db, const std::string& sweep, const std::string& file) {
  Statement update = db.prepare("UPDATE sweeps SET file = ?1 WHERE name = ?2");
  update.bind_text(1, file).bind_text(2, sweep).run();
}

}  // namespace iddl::results
