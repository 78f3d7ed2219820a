#include "runners/launch/run_recorder.hpp"

#include "matrix/json_text.hpp"
#include "results/sqlite.hpp"
#include "results/fields.hpp"

namespace iddl::launch {
namespace {

// Field `name` of an event as text: a string as is, another value as JSON, "" when missing.
std::string field_text(const nlohmann::json& event, const char* name) {
  const auto found = event.find(name);
  if (found == event.end()) return "";
  return found->is_string() ? found->get<std::string>() : found->dump();
}

}  // namespace

RunRecorder::RunRecorder(results::Store& store, int64_t run_id, std::function<void(const nlohmann::json&)> on_event)
    : store_(store), run_id_(run_id), on_event_(std::move(on_event)) {}

void RunRecorder::on_line(const std::string& line) {
  const nlohmann::json event = matrix::parse_json_or_discarded(line);
  if (event.is_discarded() || !event.is_object() || !event.contains("event") || !event["event"].is_string()) {
    other_output_ += line + "\n";
    return;
  }
  const std::string kind = event["event"].get<std::string>();
  try {
    if (kind == results::event::run_started) {
      store_.record_started(run_id_, event);
    } else if (kind == results::event::epoch) {
      store_.record_epoch(run_id_, event);
    } else if (kind == results::event::run_finished) {
      store_.record_finished(run_id_, event);
      finished_ = true;
    } else if (kind == results::event::error) {
      error_ = field_text(event, results::field::message);
    }
  } catch (const results::SqliteError&) {
    throw;  // the database cannot be written: the sweep stops
  } catch (const std::exception& e) {
    // The store refused the event (a field of the wrong type): the run fails with the reason, the sweep goes on.
    refused_ = true;
    if (error_.empty()) error_ = e.what();
    return;
  }
  if (on_event_ && !refused_) on_event_(event);
}

}  // namespace iddl::launch
