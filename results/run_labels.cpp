#include "results/run_labels.hpp"

#include <filesystem>
#include <stdexcept>

#include "results/schema.hpp"

namespace iddl::results {

int add_tag(Database& db, const std::vector<int64_t>& runs, const std::string& tag) {
  if (tag.empty() || tag.find_first_of(" \t\r\n") == 0 || tag.find_last_of(" \t\r\n") == tag.size() - 1)
    throw std::invalid_argument("bad tag '" + tag + "': give a non-empty tag without blanks around it");
  Transaction transaction(db);
  Statement insert = db.prepare("INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?1, ?2)");
  int added = 0;
  for (const int64_t run : runs) {
    insert.reset();
    insert.bind_int(1, run);
    insert.bind_text(2, tag);
    insert.run();
    added += db.changes();
  }
  transaction.commit();
  return added;
}

int remove_tag(Database& db, const std::vector<int64_t>& runs, const std::string& tag) {
  Transaction transaction(db);
  Statement remove = db.prepare("DELETE FROM run_tags WHERE run_id = ?1 AND tag = ?2");
  int removed = 0;
  for (const int64_t run : runs) {
    remove.reset();
    remove.bind_int(1, run);
    remove.bind_text(2, tag);
    remove.run();
    removed += db.changes();
  }
  transaction.commit();
  return removed;
}

void set_note(Database& db, int64_t run, const std::string& text) {
  Transaction transaction(db);
  if (text.empty()) {
    db.prepare("DELETE FROM run_notes WHERE run_id = ?1").bind_int(1, run).run();
  } else {
    db.prepare(
          "INSERT INTO run_notes (run_id, note, noted_at) VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) "
          "ON CONFLICT (run_id) DO UPDATE SET note = excluded.note, noted_at = excluded.noted_at")
        .bind_int(1, run)
        .bind_text(2, text)
        .run();
  }
  transaction.commit();
}

std::vector<std::string> tags_of(Database& db, int64_t run) {
  Statement select = db.prepare("SELECT tag FROM run_tags WHERE run_id = ?1 ORDER BY tag");
  select.bind_int(1, run);
  std::vector<std::string> tags;
  while (select.step()) tags.push_back(select.column_text(0));
  return tags;
}

std::string note_of(Database& db, int64_t run) {
  Statement select = db.prepare("SELECT note FROM run_notes WHERE run_id = ?1");
  select.bind_int(1, run);
  return select.step() ? select.column_text(0) : "";
}

Database open_for_labels(const std::string& path) {
  if (!std::filesystem::exists(path)) throw std::runtime_error("no database at '" + path + "'");
  Database db(path);
  configure_connection(db);
  migrate(db);
  return db;
}

}  // namespace iddl::results
