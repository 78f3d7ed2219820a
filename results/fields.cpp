#include "results/fields.hpp"

#include <algorithm>
#include <cctype>

namespace iddl::results {

namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

bool ends_with(std::string_view text, std::string_view end) {
  return text.size() >= end.size() && text.substr(text.size() - end.size()) == end;
}

// `name` without a trailing ".<digits>" (the exit or member a per-part metric is of).
std::string_view without_index(std::string_view name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return name;
  const std::string_view index = name.substr(dot + 1);
  const bool digits = std::all_of(index.begin(), index.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  return digits ? name.substr(0, dot) : name;
}

}  // namespace

std::vector<EventField> stored_columns(unsigned event) {
  std::vector<EventField> fields;
  for (const EventField& field : kEventFields) {
    if ((field.events & event) != 0 && field.stored == Stored::Column) fields.push_back(field);
  }
  return fields;
}

const EventField* find_event_field(std::string_view name) {
  for (const EventField& field : kEventFields) {
    if (std::string_view(field.name) == name) return &field;
  }
  return nullptr;
}

const char* sql_type(Kind kind) {
  switch (kind) {
    case Kind::Integer: return "INTEGER";
    case Kind::Real: return "REAL";
    default: return "TEXT";
  }
}

const char* event_name(Event event) {
  switch (event) {
    case kConfig: return "config";
    case kRunStarted: return event::run_started;
    case kEpoch: return event::epoch;
    case kRunFinished: return event::run_finished;
    case kError: return event::error;
  }
  return "";
}

bool is_metric_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '.';
  });
}

Unit named_metric_unit(std::string_view name) {
  if (contains(name, "accuracy") || contains(name, "fraction") || contains(name, "efficiency")) return Unit::Fraction;
  if (contains(name, "flops")) return Unit::Count;
  name = without_index(name);
  if (ends_with(name, "_per_s")) return Unit::PerSecond;
  if (ends_with(name, "_Bps")) return Unit::BytesPerSecond;
  if (ends_with(name, "_bytes")) return Unit::Bytes;
  if (ends_with(name, "_s")) return Unit::Seconds;
  if (ends_with(name, "_ms")) return Unit::Milliseconds;
  return Unit::Decimal;
}

}  // namespace iddl::results
