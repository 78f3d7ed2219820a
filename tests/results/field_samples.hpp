// Sample events built from the field table (results/fields.hpp): a value for every field the store
// keeps in a column, so a test can store a run that has all of them and read each one back.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "results/fields.hpp"
#include "results/store.hpp"

namespace iddl::test_support {

// The sample value of a field: distinct per field (by its position in the table), of its kind;
// a fraction for fractions, an axis value for axes.
inline nlohmann::json sample_value(const results::EventField& field) {
  const auto index = static_cast<int64_t>(results::find_event_field(field.name) - results::kEventFields);
  switch (field.kind) {
    case results::Kind::Integer: return 1000 + index;
    case results::Kind::Real: return field.unit == results::Unit::Fraction ? 0.5 + index / 1000.0 : 1.5 + index;
    case results::Kind::Axis: return {{"method", "none"}};
    case results::Kind::Object: return nlohmann::json::object();
    case results::Kind::Text: break;
  }
  return std::string("sample-") + field.name;
}

// An event (or, for kConfig, a resolved config) holding every field of it the store keeps in a
// column, with its sample value; an epoch event is epoch 1.
inline nlohmann::json sample_event(results::Event event) {
  nlohmann::json object = nlohmann::json::object();
  for (const results::EventField& field : results::stored_columns(event)) object[field.name] = sample_value(field);
  if (event == results::kEpoch) object[results::field::epoch] = 1;
  if (event == results::kConfig) {  // a setting of a real config, with a model and dataset the reports know
    object["dataset"] = "synthetic";
    object["model"] = "mlp";
  }
  return object;
}

// A database at path with sweep "fields": one run stored done from the sample events, with the
// named metric exit_accuracy.2; returns its run id.
inline int64_t write_sample_fields_db(const std::string& path) {
  results::Store store(path);
  const int64_t sweep = store.register_sweep("fields", "", {{"all-fields", 0, sample_event(results::kConfig)}});
  const int64_t run = store.runs_of(sweep).front().id;
  store.mark_running(run);
  store.record_started(run, sample_event(results::kRunStarted));
  store.record_epoch(run, sample_event(results::kEpoch));
  nlohmann::json finished = sample_event(results::kRunFinished);
  finished[results::field::metrics] = {{"exit_accuracy.2", 0.75}};
  store.record_finished(run, finished);
  return run;
}

}  // namespace iddl::test_support
