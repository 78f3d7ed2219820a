#include "matrix/axis_methods.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "matrix/closest_name.hpp"
#include "matrix/setting_builders.hpp"
#include "matrix/setting_values.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

// A fraction in (0, 1].
Setting unit_fraction(std::string name, double default_value, std::string help) {
  return with_max(with_min(number(std::move(name), default_value, std::move(help)), 0, true), 1, false);
}

// A compressor's parameters followed by the two every compressor takes: granularity and
// error_feedback (on by default where the method needs it to converge).
std::vector<Setting> compression_params(bool error_feedback, std::vector<Setting> own) {
  own.push_back(text("granularity", "layerwise", {"layerwise", "model"},
                     "compress each tensor on its own, or all of them flattened into one"));
  own.push_back(flag("error_feedback", error_feedback,
                     "add what compression dropped to the next step's values (a residual per tensor)"));
  return own;
}

AxisMethod method(std::string name, std::string help, std::vector<Setting> params = {}) {
  return AxisMethod{std::move(name), std::move(help), std::move(params)};
}

std::map<std::string, std::vector<AxisMethod>, std::less<>> make_method_registry() {
  return {
      {"sparsification",
       {method("none", "dense layers: every connection kept"),
        method("bibd", "each thinned layer keeps the connections of a block design (docs/sparsity.md)",
               {text("design", "affine", {"affine", "projective"}, "block design the masks are cut from"),
                text("layers", "hidden", {"hidden", "all"},
                     "layers thinned: hidden (MLP: all but the output layer; CNN: every conv but the first) or all"),
                integer("groups", 1, 1, "groups per thinned layer (grouped convolutions; block-diagonal Linear)"),
                text("shortcuts", "thinned", {"thinned", "dense"},
                     "ResNet-18's 1x1 shortcut convs: thinned as the other hidden convs, or dense (seed 000)"),
                text("design_over", "group", {"group", "all_inputs"},
                     "with groups > 1: the design of one group's inputs, or of all inputs cropped to one group's "
                     "(seed 000's bibd_gc)")}),
        method("random", "as many connections as bibd per layer, placed at random (drawn from the run seed)",
               {text("design", "affine", {"affine", "projective"}, "block design whose connection count is kept"),
                text("layers", "hidden", {"hidden", "all"}, "layers thinned, as for bibd"),
                integer("groups", 1, 1, "groups per thinned layer, as for bibd"),
                text("shortcuts", "thinned", {"thinned", "dense"}, "ResNet-18's 1x1 shortcut convs, as for bibd"),
                text("design_over", "group", {"group", "all_inputs"},
                     "with groups > 1: the mask drawn over one group's inputs, or all inputs cropped, as for bibd")}),
        method("group", "grouped layers: inputs and outputs cut into groups, links only within a group",
               {integer("groups", 2, 2, "number of groups (must divide every thinned layer's sides)"),
                text("layers", "hidden", {"hidden", "all"}, "layers thinned, as for bibd"),
                text("shortcuts", "thinned", {"thinned", "dense"},
                     "ResNet-18's 1x1 shortcut convs grouped as the other hidden convs, or dense and ungrouped "
                     "(seed 000)")})}},
      {"vertical",
       {method("none", "no vertical split"),
        method("partition",
               "the width cut into one part per rank, the parts joined only at the classifier (needs parallelism "
               "\"single\")"),
        method("ensemble",
               "one narrower network per rank, each trained on its own data order, logits combined at test time "
               "(needs parallelism \"single\")",
               {text("combine", "mean", {"mean", "linear"},
                     "mean of the members' logits, or a linear layer over all of them fitted after each epoch"),
                with_min(number("combiner_lr", 0.005, "linear: learning rate of the combiner's SGD (momentum 0.9)"), 0,
                         true),
                text("training", "separate", {"separate", "end_to_end"},
                     "members trained alone, or members and linear combiner by one loss on the combined logits "
                     "(seed 000)")}),
        method("adaboost",
               "members whole networks trained in turn on one rank by AdaBoost (SAMME), predicting by their weighted "
               "vote (needs ranks = 1, epochs a multiple of members)",
               {integer("members", 3, 1, "number of members; each trains epochs / members epochs"),
                text("update", "samme", {"samme", "seed"},
                     "after a member: the misclassified samples' weights raised (textbook SAMME), or the correctly "
                     "classified ones' (seed 000)"),
                text("sample_weighting", "repeat", {"repeat", "loss"},
                     "a batch trained floor(1 + 9 (w - min) / (max - min)) times, w its largest weight (seed 000), "
                     "or each sample's loss scaled by N times its weight")})}},
      {"horizontal",
       {method("none", "no early exit"),
        method("early_exit", "classifier branches after chosen stages; a sample leaves at the first confident one",
               {int_list("exits", {}, 1, "stages (1-based) followed by a branch; empty: every stage but the last"),
                with_min(number("branch_weight", 1.0, "loss = CE(output) + branch_weight * sum of the branches' CE"), 0,
                         false),
                with_max(with_min(number("threshold", 0.9, "top softmax probability at which a sample leaves"), 0,
                                  true),
                         1, false),
                text("branch", "pool_linear", {"pool_linear", "conv_linear"},
                     "a branch: global average pooling + Linear, or seed 000's conv 3x3 (32 channels) + ReLU + Linear"),
                text("branch_training", "joint", {"joint", "detached"},
                     "the branches' losses train the trunk too, or only the branches (seed 000)")})}},
      {"compression",
       {method("none", "values are sent as they are"),
        method("topk", "the k = ceil(ratio * n) entries of largest magnitude, as indices and values",
               compression_params(false, {unit_fraction("ratio", 0.01, "fraction of the entries kept"),
                                          text("ties", "exact_k", {"exact_k", "keep"},
                                               "exact_k: k entries, ties to the lower index; keep: every entry "
                                               "at least the k-th largest magnitude (seed 003)")})),
        method("randomk", "k = ceil(ratio * n) random entries, sent as they are (seed 003, GRACE)",
               compression_params(false, {unit_fraction("ratio", 0.01, "fraction of the entries kept"),
                                          flag("scaled", false, "scale by n / k so the estimate is unbiased"),
                                          text("indices", "sent", {"sent", "shared_seed"},
                                               "sent: the k indices travel; shared_seed: an 8-byte seed the "
                                               "receivers redraw them from")})),
        method("threshold", "the entries with |x| >= v, as indices and values",
               compression_params(false, {with_min(number("v", 0.001, "magnitude threshold"), 0, false)})),
        method("adaptive_threshold", "the entries with |x| >= max|x| / 2, as indices and values (seed 003)",
               compression_params(false, {})),
        method("terngrad", "stochastic ternary levels {-1, 0, 1} times the largest magnitude: 2 bits per entry",
               compression_params(false, {})),
        method("qsgd", "stochastic quantization to `levels` levels of |x| / ||x||, signs and levels bit-packed",
               compression_params(false, {with_max(integer("levels", 256, 2, "magnitude levels 0 .. levels-1"), 65536, false)})),
        method("fp16", "half precision", compression_params(false, {})),
        method("signsgd", "1 bit per entry (the sign) times the mean magnitude", compression_params(true, {})),
        method("powersgd", "rank-r approximation P Q^T of each gradient matrix, by two allreduces",
               compression_params(true, {integer("rank", 2, 1, "rank r of the approximation"),
                                         flag("warm_start", true, "start from the previous step's Q")}))}},
      {"parallelism",
       {method("single", "one process (needs ranks = 1)"),
        method("sync", "synchronous data parallelism: every step averages the gradients of all ranks"),
        method("param_avg", "local SGD: each rank trains alone; weights averaged every avg_freq steps or epochs",
               {integer("avg_freq", 1, 0, "averaging period, in avg_unit (0: once, after the last epoch)"),
                text("avg_unit", "steps", {"steps", "epochs"}, "unit of avg_freq")}),
        method("w_param_avg", "weighted parameter averaging: ranks close to the previous average weigh more",
               {with_min(number("lambda", 1.0, "gamma_i = exp(-lambda * relative distance to the previous average)"),
                         0, false),
                integer("avg_freq", 1, 0, "averaging period, in avg_unit (0: once, after the last epoch)"),
                text("avg_unit", "steps", {"steps", "epochs"}, "unit of avg_freq"),
                text("weighting", "normalized", {"normalized", "seed"},
                     "normalized: every rank takes sum gamma_i theta_i / sum gamma_i; seed: rank i takes "
                     "gamma_i / sum gamma * sum theta, gamma = 1 at the first average (seed 001)")}),
        method("gossip", "decentralized: each rank averages a slice of its weights with its ring neighbours",
               {integer("period", 1, 1, "steps between two exchanges"),
                with_max(with_min(number("share_fraction", 1.0, "fraction of the weights exchanged each time"), 0,
                                  true),
                         1, false),
                text("share", "fixed", {"fixed", "bandwidth"},
                     "fixed: share_fraction each exchange; bandwidth: what fits comm_budget at the measured "
                     "bandwidth, at most share_fraction (seed 002)"),
                with_min(number("comm_budget", 0.1,
                                "share = bandwidth: exchange seconds allowed per second of computation"),
                         0, true),
                text("weighting", "equal", {"equal", "throughput"},
                     "equal: the plain mean with the neighbours; throughput: weighted by each rank's samples per "
                     "second (seed 002)")}),
        method("downpour", "asynchronous SGD: rank 0 serves the weights, workers push gradients (needs ranks >= 2)",
               {integer("n_push", 1, 1, "worker steps between two gradient pushes"),
                integer("n_fetch", 1, 1, "worker steps between two weight fetches")}),
        method("admm",
               "consensus ADMM: local_steps SGD steps on f_i + rho/2 ||x - z + u_i||^2 between two rounds "
               "z = mean(x_i + u_i), u_i += x_i - z (seed 002's ADMM.SGD)",
               {with_min(number("rho", 1.0, "penalty of the distance to the consensus z"), 0, true),
                integer("local_steps", 10, 1, "optimizer steps between two consensus rounds")}),
        method("pipeline",
               "the network's stages split over `stages` ranks, micro-batches flowing through them (GPipe); "
               "ranks / stages such pipelines average their gradients (docs/pipeline.md)",
               {integer("stages", 0, 0, "ranks per pipeline (0: all the run's ranks, one pipeline)"),
                integer("chunks", 4, 1, "micro-batches per batch (batch_size is per pipeline)"),
                text("schedule", "fill_drain", {"fill_drain", "1f1b", "zb_h1"},
                     "fill_drain: all forwards, then all backwards (GPipe); 1f1b: one forward, one backward (fewer "
                     "activations held); zb_h1: 1f1b with each backward split, input gradients sent first and "
                     "weight gradients deferred (zero bubble)"),
                text("balance", "flops", {"flops", "time"},
                     "how stages are grouped when split is empty: by counted FLOPs, or by measured time"),
                int_list("split", {}, 1, "explicit split: the first stage (0-based) of every group but the first"),
                text("boundary_compression", "none", {"none", "sortquant", "uniform"},
                     "how activations and their gradients cross a boundary"),
                with_max(integer("bits", 8, 2, "bits per boundary value (sortquant: the code and its bucket index)"),
                         16, false),
                with_max(integer("split_bits", 0, 0,
                                 "sortquant: bits of the bucket index, 2^split_bits buckets (0: bits / 4, seed "
                                 "004's 3:1)"),
                         8, false),
                text("container", "packed", {"packed", "int"},
                     "how boundary codes travel: packed bits, or int8 up to 8 bits and int16 above (seed 004)"),
                with_min(number("receive_timeout", 300.0,
                                "seconds a stage waits for a neighbour's message before the run fails (0: no limit)"),
                         0, false),
                text("placement", "contiguous", {"contiguous", "first_and_last"},
                     "contiguous: stage groups on ranks 0..stages-1 in order; first_and_last: 2 ranks, rank 0 the "
                     "first and last of three groups, rank 1 the middle (seed 004's client/server)")})}},
      {"augment",
       {method("none", "training batches as they are"),
        method("crop_flip",
               "each training image padded, cropped back at a random offset, mirrored at random, and an optional "
               "cutout square zeroed (docs/data.md)",
               {with_max(integer("pad", 4, 0, "pixels added on each side before the random crop (0: no crop)"), 27,
                         false),
                text("padding", "reflect", {"reflect", "zeros"},
                     "what the added border holds: the image mirrored at its edge, or 0 (the normalized mean)"),
                flag("flip", true, "mirror each image left-right with probability 1/2"),
                with_max(integer("cutout", 0, 0, "side of a square set to 0 at a random place in the image (0: off)"),
                         28, false)})}},
  };
}

std::vector<std::string> method_names(std::string_view axis) {
  std::vector<std::string> names;
  for (const auto& m : axis_methods(axis)) names.push_back(m.name);
  return names;
}

std::vector<std::string> param_names(const AxisMethod& method) {
  std::vector<std::string> names;
  for (const auto& p : method.params) names.push_back(p.name);
  return names;
}

}  // namespace

const std::vector<AxisMethod>& axis_methods(std::string_view axis) {
  static const auto registry = make_method_registry();
  static const std::vector<AxisMethod> none;
  const auto it = registry.find(axis);
  return it == registry.end() ? none : it->second;
}

const AxisMethod* find_axis_method(std::string_view axis, std::string_view name) {
  const auto& methods = axis_methods(axis);
  const auto it = std::find_if(methods.begin(), methods.end(), [&](const AxisMethod& m) { return m.name == name; });
  return it == methods.end() ? nullptr : &*it;
}

const Setting* find_method_param(const AxisMethod& method, std::string_view name) {
  const auto it = std::find_if(method.params.begin(), method.params.end(),
                               [&](const Setting& p) { return p.name == name; });
  return it == method.params.end() ? nullptr : &*it;
}

std::string check_method_name(const Setting& axis, const json& name) {
  if (!name.is_string()) return fmt::format("{} method = {} is not a string", axis.name, value_text(name));
  const auto& text = name.get_ref<const std::string&>();
  if (find_axis_method(axis.name, text) != nullptr) return "";
  const std::vector<std::string> known = method_names(axis.name);
  const std::string suggestion = closest_name(text, known);
  return fmt::format("unknown {} method '{}' ({})", axis.name, text,
                     suggestion.empty() ? fmt::format("methods: {}", fmt::join(known, ", "))
                                        : "did you mean '" + suggestion + "'?");
}

std::string missing_method_message(const Setting& axis, const json& table) {
  return fmt::format("{} = {} has no method; write e.g. {{method = \"{}\"}} (to set other settings together "
                     "with this axis, use [[zip]])",
                     axis.name, value_text(table), axis.default_value.get<std::string>());
}

std::string unknown_param_message(const AxisMethod& method, std::string_view name) {
  const std::vector<std::string> known = param_names(method);
  const std::string suggestion = closest_name(name, known);
  const std::string hint = known.empty()       ? "it has no parameters"
                           : suggestion.empty() ? fmt::format("its parameters: {}", fmt::join(known, ", "))
                                                : "did you mean '" + suggestion + "'?";
  return fmt::format("'{}' takes no parameter '{}' ({})", method.name, name, hint);
}

std::string check_param_value(const AxisMethod& method, const Setting& param, const json& value) {
  const std::string problem = check_value(param, value);
  return problem.empty() ? "" : fmt::format("'{}': {}", method.name, problem);
}

std::string check_method_params(const AxisMethod& method, const json& table) {
  for (const auto& [name, value] : table.items()) {
    if (name == "method") continue;
    const Setting* param = find_method_param(method, name);
    if (param == nullptr) return unknown_param_message(method, name);
    if (std::string problem = check_param_value(method, *param, value); !problem.empty()) return problem;
  }
  return "";
}

std::string check_axis_value(const Setting& axis, const json& v) {
  if (v.is_string()) return check_method_name(axis, v);
  if (!v.is_object())
    return fmt::format("{} = {} is not a method name or a {{method = ...}} table", axis.name, value_text(v));
  if (!v.contains("method")) return missing_method_message(axis, v);
  if (std::string problem = check_method_name(axis, v["method"]); !problem.empty()) return problem;
  return check_method_params(*find_axis_method(axis.name, v["method"].get<std::string>()), v);
}

json method_value(const AxisMethod& method, const json& value) {
  json out = {{"method", method.name}};
  for (const auto& p : method.params) {
    const bool given = value.is_object() && value.contains(p.name);
    out[p.name] = normalized_value(p, given ? value[p.name] : p.default_value);
  }
  return out;
}

}  // namespace iddl::matrix
