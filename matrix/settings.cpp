#include "matrix/settings.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>

#include "matrix/axis_methods.hpp"

namespace iddl::matrix {
namespace {

Setting make(std::string name, Kind kind, nlohmann::json default_value, std::string help) {
  Setting s{};
  s.name = std::move(name);
  s.kind = kind;
  s.default_value = std::move(default_value);
  s.help = std::move(help);
  return s;
}

Setting text(std::string name, std::string default_value, std::vector<std::string> choices,
             std::string help) {
  Setting s = make(std::move(name), Kind::String, std::move(default_value), std::move(help));
  s.choices = std::move(choices);
  return s;
}

Setting axis(std::string name, std::string default_method, std::string help) {
  return make(std::move(name), Kind::Axis, std::move(default_method), std::move(help));
}

Setting integer(std::string name, std::int64_t default_value, double min, std::string help) {
  Setting s = make(std::move(name), Kind::Int, default_value, std::move(help));
  s.min = min;
  return s;
}

Setting number(std::string name, double default_value, std::string help) {
  return make(std::move(name), Kind::Float, default_value, std::move(help));
}

Setting with_min(Setting s, double min, bool exclusive) {
  s.min = min;
  s.min_exclusive = exclusive;
  return s;
}

Setting with_max(Setting s, double max, bool exclusive) {
  s.max = max;
  s.max_exclusive = exclusive;
  return s;
}

Setting flag(std::string name, bool default_value, std::string help) {
  return make(std::move(name), Kind::Bool, default_value, std::move(help));
}

Setting int_list(std::string name, std::vector<std::int64_t> default_value, double min,
                 std::string help) {
  Setting s = make(std::move(name), Kind::IntList, default_value, std::move(help));
  s.min = min;
  return s;
}

std::vector<Setting> make_registry() {
  const bool inclusive = false;
  const bool exclusive = true;
  return {
      text("dataset", "fashion-mnist", {"fashion-mnist", "mnist", "cifar10", "synthetic", "synthetic-cifar"},
           "the data set to train and test on"),
      text("data_dir", "", {}, "directory of the data set files (empty: the data set's default location)"),
      integer("train_samples", 0, 0, "use the first N training samples (0: all)"),
      integer("test_samples", 0, 0, "use the first N test samples (0: all)"),
      text("model", "mlp", {"mlp", "lenet", "resnet9", "resnet18", "mobilenetv2"}, "the network to train"),
      int_list("hidden", {112, 56}, 1, "hidden layer widths of the MLP (may be empty)"),
      integer("epochs", 2, 1, "passes over the training set"),
      integer("batch_size", 64, 1, "samples per optimizer step on each rank"),
      with_min(number("lr", 0.05, "peak learning rate of SGD"), 0, exclusive),
      with_max(with_min(number("momentum", 0.9, "SGD momentum"), 0, inclusive), 1, exclusive),
      flag("nesterov", false, "use Nesterov momentum (needs momentum > 0)"),
      with_min(number("weight_decay", 0.0, "L2 weight decay of SGD"), 0, inclusive),
      text("schedule", "constant", {"constant", "step", "warmup_linear"},
           "learning-rate schedule over the epochs"),
      integer("lr_step_epochs", 10, 1, "step schedule: epochs between two decays"),
      with_max(with_min(number("lr_gamma", 0.1, "step schedule: factor applied at each decay"), 0,
                        exclusive),
               1, inclusive),
      integer("warmup_epochs", 1, 0,
              "warmup_linear schedule: epochs of linear warm-up, then linear decay to 0 at the last epoch"),
      integer("seed", 1, 0, "random seed of initialization and data order"),
      integer("ranks", 1, 1, "number of MPI processes of the run"),
      integer("threads", 0, 0, "compute threads per rank (0: cores / ranks)"),
      text("device", "auto", {"auto", "cpu", "cuda"}, "where to train (auto: cuda when available)"),
      axis("sparsification", "none", "IDDL axis: which connections of the layers exist (dense, BIBD, random, grouped)"),
      axis("vertical", "none", "IDDL axis: the model split by width over the ranks (partition, ensemble)"),
      axis("horizontal", "none", "IDDL axis: early exits along the depth of the model"),
      axis("compression", "none", "IDDL axis: how the values sent are encoded"),
      axis("parallelism", "single", "IDDL axis: how the ranks train together"),
  };
}

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
                integer("groups", 1, 1, "groups per thinned layer (grouped convolutions; block-diagonal Linear)")}),
        method("random", "as many connections as bibd per layer, placed at random (drawn from the run seed)",
               {text("design", "affine", {"affine", "projective"}, "block design whose connection count is kept"),
                text("layers", "hidden", {"hidden", "all"}, "layers thinned, as for bibd"),
                integer("groups", 1, 1, "groups per thinned layer, as for bibd")}),
        method("group", "grouped layers: inputs and outputs cut into groups, links only within a group",
               {integer("groups", 2, 2, "number of groups (must divide every thinned layer's sides)"),
                text("layers", "hidden", {"hidden", "all"}, "layers thinned, as for bibd")})}},
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
                         true)})}},
      {"horizontal",
       {method("none", "no early exit"),
        method("early_exit", "classifier branches after chosen stages; a sample leaves at the first confident one",
               {int_list("exits", {}, 1, "stages (1-based) followed by a branch; empty: every stage but the last"),
                with_min(number("branch_weight", 1.0, "loss = CE(output) + branch_weight * sum of the branches' CE"), 0,
                         false),
                with_max(with_min(number("threshold", 0.9, "top softmax probability at which a sample leaves"), 0,
                                  true),
                         1, false)})}},
      {"compression",
       {method("none", "values are sent as they are"),
        method("topk", "the k = ceil(ratio * n) entries of largest magnitude, as indices and values",
               compression_params(false, {unit_fraction("ratio", 0.01, "fraction of the entries kept")})),
        method("randomk", "k = ceil(ratio * n) random entries, scaled by n / k so the estimate is unbiased",
               compression_params(false, {unit_fraction("ratio", 0.01, "fraction of the entries kept"),
                                          flag("scaled", true, "scale by n / k (false: seed 003's biased variant)")})),
        method("threshold", "the entries with |x| >= v, as indices and values",
               compression_params(false, {with_min(number("v", 0.001, "magnitude threshold"), 0, false)})),
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
               {integer("avg_freq", 1, 1, "averaging period, in avg_unit"),
                text("avg_unit", "steps", {"steps", "epochs"}, "unit of avg_freq")}),
        method("w_param_avg", "weighted parameter averaging: ranks close to the previous average weigh more",
               {with_min(number("lambda", 1.0, "gamma_i = exp(-lambda * relative distance to the previous average)"),
                         0, false),
                integer("avg_freq", 1, 1, "averaging period, in avg_unit"),
                text("avg_unit", "steps", {"steps", "epochs"}, "unit of avg_freq")}),
        method("gossip", "decentralized: each rank averages a slice of its weights with its ring neighbours",
               {integer("period", 1, 1, "steps between two exchanges"),
                with_max(with_min(number("share_fraction", 1.0, "fraction of the weights exchanged each time"), 0,
                                  true),
                         1, false)}),
        method("downpour", "asynchronous SGD: rank 0 serves the weights, workers push gradients (needs ranks >= 2)",
               {integer("n_push", 1, 1, "worker steps between two gradient pushes"),
                integer("n_fetch", 1, 1, "worker steps between two weight fetches")}),
        method("pipeline",
               "the network's stages split over `stages` ranks, micro-batches flowing through them (GPipe); "
               "ranks / stages such pipelines average their gradients (docs/pipeline.md)",
               {integer("stages", 0, 0, "ranks per pipeline (0: all the run's ranks, one pipeline)"),
                integer("chunks", 4, 1, "micro-batches per batch (batch_size is per pipeline)"),
                text("schedule", "fill_drain", {"fill_drain", "1f1b"},
                     "fill_drain: all forwards, then all backwards (GPipe); 1f1b: one forward, one backward (fewer "
                     "activations held)"),
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
                with_min(number("receive_timeout", 300.0,
                                "seconds a stage waits for a neighbour's message before the run fails (0: no limit)"),
                         0, false)})}},
  };
}

}  // namespace

const std::vector<Setting>& settings() {
  static const std::vector<Setting> registry = make_registry();
  return registry;
}

const Setting* find_setting(std::string_view name) {
  const auto& all = settings();
  const auto it = std::find_if(all.begin(), all.end(), [&](const Setting& s) { return s.name == name; });
  return it == all.end() ? nullptr : &*it;
}

std::vector<std::string> setting_names() {
  std::vector<std::string> names;
  for (const auto& s : settings()) names.push_back(s.name);
  return names;
}

std::vector<std::string> axis_names() {
  std::vector<std::string> names;
  for (const auto& s : settings())
    if (s.kind == Kind::Axis) names.push_back(s.name);
  return names;
}

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

std::string kind_name(Kind kind) {
  switch (kind) {
    case Kind::String: return "string";
    case Kind::Int: return "integer";
    case Kind::Float: return "number";
    case Kind::Bool: return "boolean";
    case Kind::IntList: return "list of integers";
    case Kind::Axis: return "axis method";
  }
  return "unknown kind";
}

}  // namespace iddl::matrix
