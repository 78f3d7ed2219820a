// Fuzz target: the event lines iddl-sweep reads from iddl-train (runners/launch/run_recorder.hpp), stored in a real
// SQLite file. Each input is one attempt of one run: its lines are fed one by one. No line may throw (an event the
// store refuses fails the run, with the reason, and the sweep goes on) or crash; the database stays intact.
#include <cstdint>
#include <string>
#include <string_view>

#include "matrix/config.hpp"
#include "matrix/settings.hpp"
#include "results/store.hpp"
#include "runners/launch/run_recorder.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

struct Fixture {
  iddl::results::Store store{(iddl::fuzz::scratch_dir() / "events.db").string()};
  int64_t run_id = 0;

  Fixture() {
    const int64_t sweep = store.register_sweep("fuzz", "fuzz.toml", {{"k", 0, iddl::matrix::resolve_config(nlohmann::json::object())}});
    run_id = store.runs_of(sweep).at(0).id;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  fixture.store.mark_running(fixture.run_id);
  iddl::launch::RunRecorder recorder(fixture.store, fixture.run_id, nullptr);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (size_t start = 0; start <= text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    recorder.on_line(std::string(text.substr(start, end - start)));
    start = end + 1;
  }
  if (!recorder.finished())
    fixture.store.record_failure(fixture.run_id, iddl::results::RunStatus::Failed, 1, recorder.error(), recorder.other_output());
  return 0;
}
