// iddl-train's ranks stop when the iddl-sweep that launched them is gone (docs/checkpoints.md, "A killed iddl-sweep").
#pragma once

namespace iddl::runners {

// The environment variables naming the launching iddl-sweep: its pid and its host.
inline constexpr const char* kLauncherPidVariable = "IDDL_LAUNCHER_PID";
inline constexpr const char* kLauncherHostVariable = "IDDL_LAUNCHER_HOST";

// When the environment names a launcher on this host, watches it from a thread and sends this process SIGTERM
// as soon as it exits (at once when it is already gone): mpirun takes over a second to stop its ranks after
// iddl-sweep dies, time in which they would train on, unrecorded, and checkpoint past what the database holds.
void stop_when_launcher_exits();

}  // namespace iddl::runners
