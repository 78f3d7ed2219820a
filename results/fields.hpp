// The field contract (docs/architecture.md, contract 3): every field of iddl-train's events, where
// the store keeps it and how reports write it. The one table that iddl-train (the field names it
// emits), the store (its columns and schema check) and iddl-report (its --columns) are built from.
#pragma once

#include <string_view>
#include <vector>

namespace iddl::results {

// Where a field comes from (a bit each, so a field can belong to several events). kConfig: a
// setting of the resolved config (run_started's "config"), copied into its column when the sweep
// is registered.
enum Event : unsigned { kConfig = 1u, kRunStarted = 2u, kEpoch = 4u, kRunFinished = 8u, kError = 16u };

// The JSON value of a field: Axis is an IDDL axis value (stored as its method name), Object a
// JSON object.
enum class Kind { Integer, Real, Text, Axis, Object };

// Where the store keeps a field.
enum class Stored {
  Column,        // the column of its name: in epochs for epoch fields, else in runs
  EpochKey,      // the epochs row's key, with the run
  Planned,       // the planned run's own value, stored when the sweep is registered
  NamedMetrics,  // run_metrics rows, one per entry
  Error,         // the runs.error text of a failed run
};

// How a report writes a field's values; None: not a report column.
enum class Unit { None, Text, Integer, Count, Decimal, Fraction, Seconds, Milliseconds, Bytes, BytesPerSecond, PerSecond };

// One field of the contract.
struct EventField {
  const char* name;         // the JSON field, the column and the --columns name
  unsigned events;          // the Event bits it belongs to
  Kind kind;
  Stored stored;
  Unit unit;
  const char* header;       // the report's column header
  const char* when;         // "" when always emitted, else when it is (a run without GPUs has no gpu_name)
  const char* meaning;
};

// clang-format off
// The table. Order: settings, run_started, epoch, run_finished, error; reports list columns in it.
inline constexpr EventField kEventFields[] = {
  {"dataset", kConfig, Kind::Text, Stored::Column, Unit::Text, "dataset", "", "dataset setting"},
  {"model", kConfig, Kind::Text, Stored::Column, Unit::Text, "model", "", "model setting"},
  {"sparsification", kConfig, Kind::Axis, Stored::Column, Unit::Text, "sparsification", "", "sparsification axis method"},
  {"vertical", kConfig, Kind::Axis, Stored::Column, Unit::Text, "vertical", "", "vertical axis method"},
  {"horizontal", kConfig, Kind::Axis, Stored::Column, Unit::Text, "horizontal", "", "horizontal axis method"},
  {"compression", kConfig, Kind::Axis, Stored::Column, Unit::Text, "compression", "", "compression axis method"},
  {"parallelism", kConfig, Kind::Axis, Stored::Column, Unit::Text, "parallelism", "", "parallelism axis method"},
  {"ranks", kConfig, Kind::Integer, Stored::Column, Unit::Integer, "ranks", "", "MPI processes of the run"},
  {"seed", kConfig, Kind::Integer, Stored::Column, Unit::Integer, "seed", "", "random seed of the repeat"},
  {"epochs", kConfig, Kind::Integer, Stored::Column, Unit::Count, "epochs", "", "planned epochs"},
  {"batch_size", kConfig, Kind::Integer, Stored::Column, Unit::Integer, "batch size", "", "samples per step and rank"},
  {"lr", kConfig, Kind::Real, Stored::Column, Unit::Decimal, "lr", "", "learning rate"},

  {"run_key", kRunStarted, Kind::Text, Stored::Planned, Unit::None, "run key", "", "the run's key (runs.run_key)"},
  {"sweep", kRunStarted, Kind::Text, Stored::Planned, Unit::None, "sweep", "", "the sweep's name (sweeps.name)"},
  {"repeat", kRunStarted, Kind::Integer, Stored::Planned, Unit::None, "repeat", "", "repeat index (runs.repeat)"},
  {"config", kRunStarted, Kind::Object, Stored::Planned, Unit::None, "config", "", "resolved config (runs.config)"},
  {"world_size", kRunStarted, Kind::Integer, Stored::Planned, Unit::None, "world size", "", "MPI world size, the ranks setting (runs.ranks)"},
  {"host", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "host", "", "rank 0's host name"},
  {"device", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "device", "", "LibTorch device of rank 0 (cpu, cuda:0)"},
  {"threads", kRunStarted, Kind::Integer, Stored::Column, Unit::Integer, "threads", "", "intra-op threads per rank"},
  {"blas_library", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "BLAS", "", "BLAS library LibTorch calls"},
  {"blas_kernel", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "BLAS kernel", "", "OpenBLAS kernel (core type) in use"},
  {"torch_version", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "torch", "", "LibTorch version"},
  {"mpi_version", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "MPI", "", "MPI library version"},
  {"nccl_version", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "NCCL", "", "NCCL version, empty without NCCL"},
  {"iddl_commit", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "commit", "", "IDDL git commit of the build"},
  {"compiler", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "compiler", "", "compiler and version of the build"},
  {"cpu_model", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "CPU", "", "CPU model name"},
  {"cpu_cores", kRunStarted, Kind::Integer, Stored::Column, Unit::Integer, "cores", "", "CPU cores of the host"},
  {"cpu_sockets", kRunStarted, Kind::Integer, Stored::Column, Unit::Integer, "sockets", "", "CPU sockets of the host"},
  {"memory_bytes", kRunStarted, Kind::Integer, Stored::Column, Unit::Bytes, "memory", "", "host memory in bytes"},
  {"gpu_count", kRunStarted, Kind::Integer, Stored::Column, Unit::Integer, "GPUs", "", "GPUs the run sees (0 without)"},
  {"gpu_name", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "GPU", "with GPUs", "GPU model names"},
  {"gpu_memory_bytes", kRunStarted, Kind::Integer, Stored::Column, Unit::Bytes, "GPU memory", "with GPUs", "smallest GPU memory in bytes"},
  {"gpu_driver", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "GPU driver", "with GPUs", "GPU driver version"},
  {"cuda_version", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "CUDA", "with GPUs", "CUDA version the driver supports"},
  {"gpu_topology", kRunStarted, Kind::Text, Stored::Column, Unit::Text, "GPU topology", "with GPUs", "GPU interconnect matrix"},
  {"params", kRunStarted | kRunFinished, Kind::Integer, Stored::Column, Unit::Count, "params", "", "trainable parameters of the model"},
  {"flops", kRunStarted | kRunFinished, Kind::Integer, Stored::Column, Unit::Count, "FLOPs", "", "forward FLOPs per sample (early exit: the mean used)"},
  {"resumed_from_epoch", kRunStarted, Kind::Integer, Stored::Column, Unit::Integer, "resumed from", "resumed from a checkpoint", "the epoch of the checkpoint the run resumed from (epochs after it were dropped)"},

  {"epoch", kEpoch, Kind::Integer, Stored::EpochKey, Unit::None, "epoch", "", "epoch number, from 1"},
  {"train_loss", kEpoch | kRunFinished, Kind::Real, Stored::Column, Unit::Decimal, "train loss", "", "mean training loss of the epoch (run_finished: the last)"},
  {"test_loss", kEpoch | kRunFinished, Kind::Real, Stored::Column, Unit::Decimal, "test loss", "", "test loss after the epoch (run_finished: the last)"},
  {"test_accuracy", kEpoch | kRunFinished, Kind::Real, Stored::Column, Unit::Fraction, "test accuracy", "", "test accuracy in [0, 1] after the epoch (run_finished: the last)"},
  {"epoch_time_s", kEpoch, Kind::Real, Stored::Column, Unit::Seconds, "epoch time", "", "seconds of the epoch's training (reports: the mean over epochs)"},
  {"bytes_sent", kEpoch | kRunFinished, Kind::Integer, Stored::Column, Unit::Bytes, "bytes sent", "", "rank 0's training bytes sent (run_finished: all epochs)"},
  {"bytes_received", kEpoch | kRunFinished, Kind::Integer, Stored::Column, Unit::Bytes, "bytes received", "", "rank 0's training bytes received"},
  {"comm_time_s", kEpoch | kRunFinished, Kind::Real, Stored::Column, Unit::Seconds, "comm time", "", "rank 0's seconds waiting on communication (exposed)"},
  {"bandwidth_Bps", kEpoch | kRunFinished, Kind::Real, Stored::Column, Unit::BytesPerSecond, "bandwidth", "", "bytes sent per second of comm_total_time_s"},
  {"comm_total_time_s", kEpoch | kRunFinished, Kind::Real, Stored::Column, Unit::Seconds, "comm total time", "", "rank 0's seconds from each communication's start to its completion, overlapped ones included"},

  {"train_time_s", kRunFinished, Kind::Real, Stored::Column, Unit::Seconds, "training time", "", "seconds of all epochs' training"},
  {"inference_time_s", kRunFinished, Kind::Real, Stored::Column, Unit::Seconds, "inference time", "", "seconds of the timed inference batches"},
  {"latency_ms", kRunFinished, Kind::Real, Stored::Column, Unit::Milliseconds, "latency", "", "inference milliseconds per sample"},
  {"staleness_mean", kRunFinished, Kind::Real, Stored::Column, Unit::Decimal, "staleness", "with downpour", "mean staleness of the pushes the server applied"},
  {"compression_ratio", kRunFinished, Kind::Real, Stored::Column, Unit::Decimal, "compression ratio", "with a compressor (sync, param_avg)", "gradient exchange: wire bytes over dense bytes"},
  {"metrics", kRunFinished, Kind::Object, Stored::NamedMetrics, Unit::None, "metrics", "", "named figures of the model and run (name -> number), see named_metric_unit"},

  {"message", kError, Kind::Text, Stored::Error, Unit::None, "error", "", "why the run failed"},
};
// clang-format on

// The name of a field of the table; a name not in it does not compile where a constant is needed.
constexpr const char* checked_field(std::string_view name) {
  for (const EventField& field : kEventFields) {
    if (std::string_view(field.name) == name) return field.name;
  }
  throw "not a field of results/fields.hpp";
}

// Event names as iddl-train writes them in {"event": ...}.
namespace event {
inline constexpr const char* run_started = "run_started";
inline constexpr const char* epoch = "epoch";
inline constexpr const char* run_finished = "run_finished";
inline constexpr const char* error = "error";
}  // namespace event

// The field names, checked against the table when compiled.
namespace field {
inline constexpr const char* run_key = checked_field("run_key");
inline constexpr const char* sweep = checked_field("sweep");
inline constexpr const char* repeat = checked_field("repeat");
inline constexpr const char* config = checked_field("config");
inline constexpr const char* world_size = checked_field("world_size");
inline constexpr const char* host = checked_field("host");
inline constexpr const char* device = checked_field("device");
inline constexpr const char* threads = checked_field("threads");
inline constexpr const char* blas_library = checked_field("blas_library");
inline constexpr const char* blas_kernel = checked_field("blas_kernel");
inline constexpr const char* torch_version = checked_field("torch_version");
inline constexpr const char* mpi_version = checked_field("mpi_version");
inline constexpr const char* nccl_version = checked_field("nccl_version");
inline constexpr const char* iddl_commit = checked_field("iddl_commit");
inline constexpr const char* compiler = checked_field("compiler");
inline constexpr const char* cpu_model = checked_field("cpu_model");
inline constexpr const char* cpu_cores = checked_field("cpu_cores");
inline constexpr const char* cpu_sockets = checked_field("cpu_sockets");
inline constexpr const char* memory_bytes = checked_field("memory_bytes");
inline constexpr const char* gpu_count = checked_field("gpu_count");
inline constexpr const char* gpu_name = checked_field("gpu_name");
inline constexpr const char* gpu_memory_bytes = checked_field("gpu_memory_bytes");
inline constexpr const char* gpu_driver = checked_field("gpu_driver");
inline constexpr const char* cuda_version = checked_field("cuda_version");
inline constexpr const char* gpu_topology = checked_field("gpu_topology");
inline constexpr const char* params = checked_field("params");
inline constexpr const char* flops = checked_field("flops");
inline constexpr const char* resumed_from_epoch = checked_field("resumed_from_epoch");
inline constexpr const char* epoch = checked_field("epoch");
inline constexpr const char* epochs = checked_field("epochs");
inline constexpr const char* train_loss = checked_field("train_loss");
inline constexpr const char* test_loss = checked_field("test_loss");
inline constexpr const char* test_accuracy = checked_field("test_accuracy");
inline constexpr const char* epoch_time_s = checked_field("epoch_time_s");
inline constexpr const char* bytes_sent = checked_field("bytes_sent");
inline constexpr const char* bytes_received = checked_field("bytes_received");
inline constexpr const char* comm_time_s = checked_field("comm_time_s");
inline constexpr const char* bandwidth_Bps = checked_field("bandwidth_Bps");
inline constexpr const char* comm_total_time_s = checked_field("comm_total_time_s");
inline constexpr const char* train_time_s = checked_field("train_time_s");
inline constexpr const char* inference_time_s = checked_field("inference_time_s");
inline constexpr const char* latency_ms = checked_field("latency_ms");
inline constexpr const char* staleness_mean = checked_field("staleness_mean");
inline constexpr const char* compression_ratio = checked_field("compression_ratio");
inline constexpr const char* metrics = checked_field("metrics");
inline constexpr const char* message = checked_field("message");
}  // namespace field

// The fields of an event (Event bits) the store keeps in a column of their name, in table order.
std::vector<EventField> stored_columns(unsigned event);

// The table's field of that name; nullptr when there is none.
const EventField* find_event_field(std::string_view name);

// The SQL type of a column holding the kind: INTEGER, REAL or TEXT.
const char* sql_type(Kind kind);

// The event's name ("run_started"); kConfig is "config".
const char* event_name(Event event);

// Whether a name can name a run metric (a "metrics" entry): letters, digits, '_' and '.', at least one.
bool is_metric_name(std::string_view name);

// How reports write the named metric: "accuracy", "fraction" or "efficiency" in it as a fraction,
// "flops" in it as a count, ending in "_per_s" as a rate, "_Bps" bytes per second, "_bytes" bytes,
// "_s" seconds, "_ms" milliseconds, else a decimal; a trailing ".<index>" is left out of the endings
// ("exit_time_s.2" is in seconds).
Unit named_metric_unit(std::string_view name);

}  // namespace iddl::results
