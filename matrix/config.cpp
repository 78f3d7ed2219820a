#include "matrix/config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "matrix/axis_methods.hpp"
#include "matrix/axis_value.hpp"
#include "matrix/setting_values.hpp"
#include "matrix/settings.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

void check_parallelism_ranks(const json& c) {
  if (axis_method(c["parallelism"]) == "single" && c["ranks"] != 1 && axis_method(c["vertical"]) == "none")
    throw ConfigError(fmt::format("parallelism = \"single\" runs one process but ranks = {}; "
                                  "use ranks = 1 or parallelism = \"sync\"",
                                  value_text(c["ranks"])),
                      {"parallelism", "ranks"});
}

// AdaBoost trains its members in turn on one rank, each for epochs / members epochs.
void check_adaboost(const json& c) {
  if (c["ranks"] != 1)
    throw ConfigError(fmt::format("vertical = \"adaboost\" trains its members in turn on one rank and needs "
                                  "ranks = 1, got ranks = {}",
                                  value_text(c["ranks"])),
                      {"vertical", "ranks"});
  const std::int64_t members = c["vertical"]["members"].get<std::int64_t>();
  if (c["epochs"].get<std::int64_t>() % members != 0)
    throw ConfigError(fmt::format("vertical = \"adaboost\" trains each of its {} members epochs / members epochs "
                                  "and needs epochs a multiple of members, got epochs = {}",
                                  members, value_text(c["epochs"])),
                      {"vertical", "epochs"});
}

// A vertical split spreads one model over the ranks (adaboost: its members over the epochs): no data
// parallelism on top, no early exits.
void check_vertical(const json& c) {
  const std::string vertical = axis_method(c["vertical"]);
  if (vertical == "none") return;
  if (axis_method(c["parallelism"]) != "single")
    throw ConfigError(fmt::format("vertical = \"{}\" spreads one model over the ranks and needs "
                                  "parallelism = \"single\", got parallelism = {}",
                                  vertical, value_text(c["parallelism"])),
                      {"vertical", "parallelism"});
  if (axis_method(c["horizontal"]) != "none")
    throw ConfigError(fmt::format("vertical = \"{}\" cannot be combined with horizontal = {}", vertical,
                                  value_text(c["horizontal"])),
                      {"vertical", "horizontal"});
  if (c["vertical"].value("training", "separate") == "end_to_end" && c["vertical"].value("combine", "mean") != "linear")
    throw ConfigError(fmt::format("vertical = {}: training = \"end_to_end\" trains a linear combiner and needs "
                                  "combine = \"linear\"",
                                  value_text(c["vertical"])),
                      {"vertical"});
  if (vertical == "adaboost") check_adaboost(c);
}

// A compressor encodes what a strategy exchanges: the gradients of sync, the weight changes of param_avg.
void check_compression(const json& c) {
  const std::string compression = axis_method(c["compression"]), parallelism = axis_method(c["parallelism"]);
  if (compression != "none" && parallelism != "sync" && parallelism != "param_avg")
    throw ConfigError(fmt::format("compression = \"{}\" encodes what parallelism \"sync\" or \"param_avg\" "
                                  "exchanges, got parallelism = {}",
                                  compression, value_text(c["parallelism"])),
                      {"compression", "parallelism"});
}

// A pipeline: whole pipelines on the ranks, a batch that makes its micro-batches, an explicit split of
// one group per stage (three for first_and_last, on 2 ranks with fill_drain), a sortquant code with room
// for its bucket index; no early exits.
void check_pipeline(const json& c) {
  const json& p = c["parallelism"];
  if (axis_method(p) != "pipeline") return;
  const std::int64_t ranks = c["ranks"].get<std::int64_t>();
  const std::int64_t stages = p["stages"].get<std::int64_t>() == 0 ? ranks : p["stages"].get<std::int64_t>();
  if (ranks % stages != 0)
    throw ConfigError(fmt::format("parallelism \"pipeline\" needs ranks a multiple of stages = {}, got ranks = {}",
                                  stages, ranks),
                      {"parallelism", "ranks"});
  if (c["batch_size"].get<std::int64_t>() < p["chunks"].get<std::int64_t>())
    throw ConfigError(fmt::format("parallelism \"pipeline\" needs batch_size >= chunks = {}, got batch_size = {}",
                                  value_text(p["chunks"]), value_text(c["batch_size"])),
                      {"parallelism", "batch_size"});
  const std::int64_t pipelines = ranks / stages;
  if (c["batch_scope"] == "global" && c["batch_size"].get<std::int64_t>() / pipelines < p["chunks"].get<std::int64_t>())
    throw ConfigError(fmt::format("parallelism \"pipeline\" needs batch_size / pipelines >= chunks = {} with "
                                  "batch_scope = \"global\", got batch_size = {} over {} pipelines",
                                  value_text(p["chunks"]), value_text(c["batch_size"]), pipelines),
                      {"parallelism", "batch_size", "batch_scope"});
  const bool first_and_last = p["placement"] == "first_and_last";
  if (first_and_last && (ranks != 2 || stages != 2))
    throw ConfigError(fmt::format("parallelism \"pipeline\": placement = \"first_and_last\" needs ranks = 2 and "
                                  "stages = 0 or 2 (rank 0 the first and last groups, rank 1 the middle), got "
                                  "ranks = {} and stages = {}",
                                  ranks, value_text(p["stages"])),
                      {"parallelism", "ranks"});
  if (first_and_last && p["schedule"] != "fill_drain")
    throw ConfigError(fmt::format("parallelism \"pipeline\": placement = \"first_and_last\" runs schedule = "
                                  "\"fill_drain\" (rank 0 holds two groups), got schedule = {}",
                                  value_text(p["schedule"])),
                      {"parallelism"});
  const std::int64_t groups = first_and_last ? 3 : stages;
  const auto& split = p["split"];
  if (!split.empty() && static_cast<std::int64_t>(split.size()) + 1 != groups)
    throw ConfigError(first_and_last ? fmt::format("parallelism \"pipeline\": split = {} makes {} groups; placement = "
                                                   "\"first_and_last\" runs 3 (2 points)",
                                                   value_text(split), split.size() + 1)
                                     : fmt::format("parallelism \"pipeline\": split = {} makes {} groups for {} stages",
                                                   value_text(split), split.size() + 1, stages),
                      {"parallelism"});
  for (size_t i = 1; i < split.size(); ++i)
    if (split[i].get<std::int64_t>() <= split[i - 1].get<std::int64_t>())
      throw ConfigError(fmt::format("parallelism \"pipeline\": split = {} is not increasing", value_text(split)),
                        {"parallelism"});
  const std::int64_t bits = p["bits"].get<std::int64_t>(), split_bits = p["split_bits"].get<std::int64_t>();
  if (p["boundary_compression"] == "sortquant" && split_bits >= bits)
    throw ConfigError(fmt::format("parallelism \"pipeline\": sortquant needs split_bits < bits, got split_bits = {} "
                                  "and bits = {}",
                                  split_bits, bits),
                      {"parallelism"});
  if (axis_method(c["horizontal"]) != "none")
    throw ConfigError(fmt::format("parallelism \"pipeline\" cannot be combined with horizontal = {}",
                                  value_text(c["horizontal"])),
                      {"parallelism", "horizontal"});
}

void check_normalize(const json& c) {
  const std::string dataset = c["dataset"].get<std::string>();
  if (c["normalize"] != "standard" && dataset.rfind("synthetic", 0) == 0)
    throw ConfigError(fmt::format("normalize = {} applies to the file data sets; dataset = \"{}\" is generated "
                                  "standardized (use normalize = \"standard\")",
                                  value_text(c["normalize"]), dataset),
                      {"normalize", "dataset"});
}

// avg_freq = 0 averages once, after the last epoch (seed 001's AVG_FREQ = 0): one spelling, in epochs.
void check_averaging_period(const json& c) {
  const json& p = c["parallelism"];
  const std::string method = axis_method(p);
  if ((method == "param_avg" || method == "w_param_avg") && p["avg_freq"] == 0 && p["avg_unit"] != "epochs")
    throw ConfigError(fmt::format("parallelism \"{}\": avg_freq = 0 (one average, after the last epoch) needs "
                                  "avg_unit = \"epochs\", got avg_unit = {}",
                                  method, value_text(p["avg_unit"])),
                      {"parallelism"});
}

// The data shards of a run, each taking its part of every step's batch (train::Shard): one per rank of data
// parallelism, per pipeline, per downpour worker; one for a single process and for a vertical split.
std::int64_t data_shards(const json& c) {
  const std::int64_t ranks = c["ranks"].get<std::int64_t>();
  const json& p = c["parallelism"];
  const std::string parallelism = axis_method(p);
  if (axis_method(c["vertical"]) != "none" || parallelism == "single") return 1;
  if (parallelism == "downpour") return ranks - 1;
  const std::int64_t stages = p.value("stages", std::int64_t{0});
  if (parallelism == "pipeline") return ranks / (stages == 0 ? ranks : stages);
  return ranks;
}

// batch_scope = "global" splits batch_size over the data shards: each takes at least one sample.
void check_batch_scope(const json& c) {
  if (c["batch_scope"] != "global") return;
  const std::int64_t shards = data_shards(c);
  if (c["batch_size"].get<std::int64_t>() < shards)
    throw ConfigError(fmt::format("batch_scope = \"global\" splits batch_size = {} over {} data shards ({} ranks, "
                                  "parallelism = {}): each needs at least one sample; use batch_size >= {}",
                                  value_text(c["batch_size"]), shards, value_text(c["ranks"]),
                                  value_text(c["parallelism"]["method"]), shards),
                      {"batch_size", "batch_scope", "ranks"});
}

void check_nesterov_momentum(const json& c) {
  if (c["nesterov"] == true && c["momentum"].get<double>() <= 0)
    throw ConfigError(fmt::format("nesterov = true needs momentum > 0, got momentum = {}",
                                  value_text(c["momentum"])),
                      {"nesterov", "momentum"});
}

void check_warmup_epochs(const json& c) {
  const std::string schedule = c["schedule"].get<std::string>();
  if ((schedule == "warmup_linear" || schedule == "cosine") &&
      c["warmup_epochs"].get<std::int64_t>() >= c["epochs"].get<std::int64_t>())
    throw ConfigError(fmt::format("schedule = \"{}\" needs warmup_epochs < epochs, "
                                  "got warmup_epochs = {} and epochs = {}",
                                  schedule, value_text(c["warmup_epochs"]), value_text(c["epochs"])),
                      {"warmup_epochs", "epochs", "schedule"});
}

// The knots of schedule = "piecewise": as many epochs as values, at least two, epochs from 0 strictly
// increasing; knots with any other schedule would be ignored, so they are an error.
void check_piecewise_knots(const json& c) {
  const json &epochs = c["lr_epochs"], &values = c["lr_values"];
  const std::vector<std::string> involved = {"schedule", "lr_epochs", "lr_values"};
  if (c["schedule"] != "piecewise") {
    if (!epochs.empty() || !values.empty())
      throw ConfigError(fmt::format("lr_epochs and lr_values are the knots of schedule = \"piecewise\", "
                                    "got schedule = {} with lr_epochs = {} and lr_values = {}",
                                    value_text(c["schedule"]), value_text(epochs), value_text(values)),
                        involved);
    return;
  }
  if (epochs.size() != values.size())
    throw ConfigError(fmt::format("schedule = \"piecewise\" needs one lr_values entry per lr_epochs entry, got "
                                  "lr_epochs = {} ({}) and lr_values = {} ({})",
                                  value_text(epochs), epochs.size(), value_text(values), values.size()),
                      involved);
  if (epochs.size() < 2)
    throw ConfigError(fmt::format("schedule = \"piecewise\" needs at least 2 knots, e.g. lr_epochs = [0, 5, 24] "
                                  "and lr_values = [0.0, 0.4, 0.0], got lr_epochs = {}",
                                  value_text(epochs)),
                      involved);
  if (epochs[0].get<double>() != 0.0)
    throw ConfigError(fmt::format("schedule = \"piecewise\": lr_epochs = {} must start at 0, got {}",
                                  value_text(epochs), value_text(epochs[0])),
                      involved);
  for (size_t i = 1; i < epochs.size(); ++i)
    if (epochs[i].get<double>() <= epochs[i - 1].get<double>())
      throw ConfigError(fmt::format("schedule = \"piecewise\": lr_epochs = {} must be strictly increasing, "
                                    "got {} after {}",
                                    value_text(epochs), value_text(epochs[i]), value_text(epochs[i - 1])),
                        involved);
}

void check_label_smoothing(const json& c) {
  if (c["loss"] != "cross_entropy" && c["label_smoothing"].get<double>() != 0.0)
    throw ConfigError(fmt::format("label_smoothing = {} smooths the targets of loss = \"cross_entropy\", "
                                  "got loss = {}",
                                  value_text(c["label_smoothing"]), value_text(c["loss"])),
                      {"label_smoothing", "loss"});
}

// activation, leaky_slope, dropout and dropout_kind shape the MLP's hidden layers: an error where they would
// be ignored.
void check_hidden_activation(const json& c) {
  if (c["model"] != "mlp") {
    for (const char* name : {"activation", "dropout", "dropout_kind"})
      if (c[name] != normalized_value(*find_setting(name), find_setting(name)->default_value))
        throw ConfigError(fmt::format("{} = {} applies to model = \"mlp\" only, got model = {}", name,
                                      value_text(c[name]), value_text(c["model"])),
                          {name, "model"});
  }
  const Setting& slope = *find_setting("leaky_slope");
  if (c["activation"] != "leaky_relu" && c["leaky_slope"] != normalized_value(slope, slope.default_value))
    throw ConfigError(fmt::format("leaky_slope = {} needs activation = \"leaky_relu\", got activation = {}",
                                  value_text(c["leaky_slope"]), value_text(c["activation"])),
                      {"leaky_slope", "activation"});
  const Setting& kind = *find_setting("dropout_kind");
  if (c["dropout"].get<double>() == 0.0 && c["dropout_kind"] != normalized_value(kind, kind.default_value))
    throw ConfigError(fmt::format("dropout_kind = {} needs dropout > 0, got dropout = {}",
                                  value_text(c["dropout_kind"]), value_text(c["dropout"])),
                      {"dropout_kind", "dropout"});
}

// precision and channels_last act in the one-model trainer: not in a pipeline's stages nor AdaBoost's members;
// fp16 needs CUDA, channels_last a convolutional model.
void check_fast_paths(const json& c) {
  const bool precision = c["precision"] != "fp32", channels_last = c["channels_last"] == true;
  if (!precision && !channels_last) return;
  const std::string name = precision ? "precision" : "channels_last";
  const std::string value = value_text(c[name]);
  if (axis_method(c["parallelism"]) == "pipeline" || axis_method(c["vertical"]) == "adaboost")
    throw ConfigError(fmt::format("{} = {} needs a parallelism other than \"pipeline\" and a vertical other than "
                                  "\"adaboost\", got parallelism = {}, vertical = {}",
                                  name, value, value_text(axis_method(c["parallelism"])),
                                  value_text(axis_method(c["vertical"]))),
                      {name, "parallelism", "vertical"});
  if (c["precision"] == "fp16" && c["device"] == "cpu")
    throw ConfigError("precision = \"fp16\" needs CUDA (LibTorch autocasts to float16 on GPUs only), got device = "
                      "\"cpu\"; use precision = \"bf16\" on the CPU",
                      {"precision", "device"});
  if (channels_last && c["model"] == "mlp")
    throw ConfigError("channels_last = true needs a convolutional model, got model = \"mlp\"",
                      {"channels_last", "model"});
}

}  // namespace

ConfigError::ConfigError(const std::string& message, std::vector<std::string> settings)
    : std::runtime_error(message), settings(std::move(settings)) {}

json resolve_config(const json& partial) {
  if (!partial.is_object())
    throw ConfigError("a config must be an object of settings, got " + value_text(partial));
  for (const auto& [name, value] : partial.items()) {
    const Setting* s = find_setting(name);
    if (s == nullptr) throw ConfigError(unknown_setting_message(name), {name});
    if (std::string problem = check_value(*s, value); !problem.empty()) throw ConfigError(problem, {name});
  }
  json resolved = json::object();
  for (const auto& s : settings()) {
    const auto given = partial.find(s.name);
    resolved[s.name] = normalized_value(s, given == partial.end() ? s.default_value : *given);
  }
  check_parallelism_ranks(resolved);
  check_vertical(resolved);
  check_compression(resolved);
  check_pipeline(resolved);
  check_normalize(resolved);
  check_averaging_period(resolved);
  check_batch_scope(resolved);
  check_nesterov_momentum(resolved);
  check_warmup_epochs(resolved);
  check_piecewise_knots(resolved);
  check_label_smoothing(resolved);
  check_hidden_activation(resolved);
  check_fast_paths(resolved);
  return resolved;
}

}  // namespace iddl::matrix
