// The field contract against a real iddl-train (under mpirun, on generated synthetic data; one
// rank, downpour on two, a two-stage pipeline): every
// field it emits is in the table of results/fields.hpp for its event, and every field of the table
// for an event is emitted unless the table says when it is (GPU facts, a strategy's figures).
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "matrix/config.hpp"
#include "matrix/settings.hpp"
#include "results/fields.hpp"
#include "runners/launch/mpirun_command.hpp"
#include "tests/support/sweep_folder.hpp"

using namespace iddl::testing;
namespace results = iddl::results;

namespace {

// The events of one iddl-train run of the settings on `ranks` ranks, one thread each, by event name
// (each of its lines parsed).
std::multimap<std::string, nlohmann::json> train_events(const nlohmann::json& settings, int ranks) {
  nlohmann::json partial = {{"dataset", "synthetic"}, {"train_samples", 256}, {"test_samples", 64},
                            {"model", "mlp"},         {"hidden", {16}},       {"epochs", 2},
                            {"batch_size", 32},       {"ranks", ranks},       {"threads", 1},
                            {"device", "cpu"}};
  partial.update(settings);
  const nlohmann::json spec = {
      {"sweep", "fields"}, {"run_key", "fields-run"}, {"repeat", 0}, {"config", iddl::matrix::resolve_config(partial)}};
  iddl::launch::MpirunOptions options;
  options.train_exe = std::string(IDDL_BIN_DIR) + "/iddl-train";
  options.ranks = ranks;
  options.threads_per_rank = 1;
  options.as_root = ::geteuid() == 0;
  const Invocation run = invoke(iddl::launch::mpirun_argv(options, spec.dump()));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  std::multimap<std::string, nlohmann::json> events;
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(event.is_object() && event.contains("event")) << "not an event line: " << line;
    if (event.is_object() && event.contains("event")) events.emplace(event.at("event").get<std::string>(), event);
  }
  return events;
}

// Checks one event object against the table: no field outside it, every unconditional field of it
// present; returns the conditional fields it carried.
std::set<std::string> check_event(results::Event kind, const nlohmann::json& event) {
  const std::string name = results::event_name(kind);
  std::set<std::string> conditional;
  for (const auto& item : event.items()) {
    if (item.key() == "event") continue;
    const results::EventField* field = results::find_event_field(item.key());
    EXPECT_TRUE(field != nullptr && (field->events & kind) != 0)
        << name << " emits '" << item.key() << "', which results/fields.hpp does not list for it";
    if (field != nullptr && field->when[0] != '\0') conditional.insert(item.key());
  }
  for (const results::EventField& field : results::kEventFields) {
    if ((field.events & kind) != 0 && field.when[0] == '\0') {
      EXPECT_TRUE(event.contains(field.name)) << name << " lacks '" << field.name << "'";
    }
  }
  return conditional;
}

// Checks every event of a run; returns the conditional fields of its run_finished event.
std::set<std::string> check_run(const std::multimap<std::string, nlohmann::json>& events, int64_t epochs) {
  EXPECT_EQ(events.count(results::event::run_started), 1u);
  EXPECT_EQ(events.count(results::event::epoch), static_cast<size_t>(epochs));
  EXPECT_EQ(events.count(results::event::run_finished), 1u);
  EXPECT_EQ(events.size(), static_cast<size_t>(epochs) + 2) << "no other event of a run that succeeds";
  std::set<std::string> finished;
  for (const auto& [name, event] : events) {
    if (name == results::event::run_started) {
      check_event(results::kRunStarted, event);
      const nlohmann::json& config = event.at(results::field::config);
      for (const results::EventField& field : results::kEventFields) {
        if ((field.events & results::kConfig) != 0) {
          EXPECT_TRUE(config.contains(field.name)) << "the config lacks the setting '" << field.name << "'";
        }
      }
    } else if (name == results::event::epoch) {
      check_event(results::kEpoch, event);
    } else if (name == results::event::run_finished) {
      finished = check_event(results::kRunFinished, event);
    } else {
      ADD_FAILURE() << "unexpected event " << event.dump();
    }
  }
  return finished;
}

TEST(EventFields, OneRankRunEmitsExactlyTheTablesFields) {
  const auto events = train_events({{"parallelism", "single"}}, 1);
  EXPECT_TRUE(check_run(events, 2).empty()) << "a single run has no staleness nor compression ratio";
  ASSERT_EQ(events.count(results::event::run_started), 1u);
  const nlohmann::json& started = events.find(results::event::run_started)->second;
  if (started.at(results::field::gpu_count) == 0) {
    EXPECT_FALSE(started.contains(results::field::gpu_name)) << "GPU facts only with GPUs";
  }
}

TEST(EventFields, DownpourRunAddsItsStalenessAsTheTableSays) {
  const auto events = train_events({{"parallelism", "downpour"}}, 2);
  EXPECT_EQ(check_run(events, 2), std::set<std::string>{results::field::staleness_mean});
}

TEST(EventFields, PipelineRunEmitsTheSameFields) {
  const auto events =
      train_events({{"parallelism", {{"method", "pipeline"}, {"chunks", 2}}}, {"hidden", {32, 16}}}, 2);
  EXPECT_TRUE(check_run(events, 2).empty());
  ASSERT_EQ(events.count(results::event::run_finished), 1u);
  const nlohmann::json& finished = events.find(results::event::run_finished)->second;
  EXPECT_TRUE(finished.at(results::field::metrics).contains("pipeline_efficiency")) << finished.dump();
}

}  // namespace
