#include "runners/launch/run_recorder.hpp"

#include "results/fields.hpp"

namespace iddl::launch {

RunRecorder::RunRecorder(results::Store& store, int64_t run_id, std::function<void(const nlohmann::json&)> on_event)
    : store_(store), run_id_(run_id), on_event_(std::move(on_event)) {}

void RunRecorder::on_line(const std::string& line) {
  const nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
  if (event.is_discarded() || !event.is_object() || !event.contains("event")) {
    other_output_ += line + "\n";
    return;
  }
  const std::string kind = event.value("event", "");
  if (kind == results::event::run_started) {
    store_.record_started(run_id_, event);
  } else if (kind == results::event::epoch) {
    store_.record_epoch(run_id_, event);
  } else if (kind == results::event::run_finished) {
    store_.record_finished(run_id_, event);
    finished_ = true;
  } else if (kind == results::event::error) {
    error_ = event.value(results::field::message, "");
  }
  if (on_event_) on_event_(event);
}

}  // namespace iddl::launch
