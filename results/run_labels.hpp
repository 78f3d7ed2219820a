// Tags and notes a researcher gives stored runs (tables run_tags and run_notes, schema version 6).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "results/sqlite.hpp"

namespace iddl::results {

// Gives each run the tag (kept once), in one transaction; returns how many runs did not have it yet.
// An empty tag or one with blanks around it throws std::invalid_argument.
int add_tag(Database& db, const std::vector<int64_t>& runs, const std::string& tag);

// Takes the tag from each run, in one transaction; returns how many runs had it.
int remove_tag(Database& db, const std::vector<int64_t>& runs, const std::string& tag);

// Sets the run's note (replacing any; an empty text removes it).
void set_note(Database& db, int64_t run, const std::string& text);

// The run's tags in name order.
std::vector<std::string> tags_of(Database& db, int64_t run);

// The run's note, "" when it has none.
std::string note_of(Database& db, int64_t run);

// Opens the database at path for writing tags and notes: it must exist (never created); migrated
// to the current schema.
Database open_for_labels(const std::string& path);

}  // namespace iddl::results
