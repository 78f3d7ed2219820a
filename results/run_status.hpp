// The status of a run, and the one table of its texts in the database (runs.status).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>

namespace iddl::results {

// Where a run is in its life.
enum class RunStatus { Pending, Running, Done, Failed, Timeout, Interrupted };

// Every status with its text in runs.status, in the order of a run's life (the CHECK constraint of runs.status).
inline constexpr std::array<std::pair<RunStatus, std::string_view>, 6> kRunStatusNames{{{RunStatus::Pending, "pending"},
                                                                                       {RunStatus::Running, "running"},
                                                                                       {RunStatus::Done, "done"},
                                                                                       {RunStatus::Failed, "failed"},
                                                                                       {RunStatus::Timeout, "timeout"},
                                                                                       {RunStatus::Interrupted,
                                                                                        "interrupted"}}};

// The status's text in runs.status.
std::string to_string(RunStatus status);

// The status whose text is `text`; throws std::invalid_argument naming any other text.
RunStatus parse_run_status(std::string_view text);

// Whether a run in `status` ended without results: failed, timeout or interrupted.
bool is_failure(RunStatus status);

}  // namespace iddl::results
