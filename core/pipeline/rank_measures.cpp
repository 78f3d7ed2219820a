#include "core/pipeline/rank_measures.hpp"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include "core/pipeline/schedule.hpp"

namespace iddl::pipeline {
namespace {

// Calls visit on every field of `stats`, in the order of their place in the tensor.
template <typename Stats, typename Visit>
void visit_boundary(Stats& stats, Visit& visit) {
  visit(stats.bytes_sent);
  visit(stats.dense_bytes_sent);
  visit(stats.bytes_received);
  visit(stats.messages_sent);
  visit(stats.messages_received);
  visit(stats.send_seconds);
  visit(stats.recv_seconds);
  visit(stats.codec_seconds);
}

// Calls visit on every measure of `m` (a RankMeasures, const or not), in the tensor's order.
template <typename Measures, typename Visit>
void visit_measures(Measures& m, Visit visit) {
  visit(m.stage.steps);
  visit(m.stage.step_seconds);
  visit(m.stage.compute_seconds);
  visit(m.stage.peak_live_micro_batches);
  visit(m.stage.peak_activation_bytes);
  visit(m.stage.update_seconds);
  visit_boundary(m.previous, visit);
  visit_boundary(m.next, visit);
}

}  // namespace

torch::Tensor RankMeasures::to_tensor() const {
  std::vector<double> values;
  visit_measures(*this, [&](const auto& field) { values.push_back(static_cast<double>(field)); });
  return torch::tensor(values, torch::kFloat64);
}

RankMeasures RankMeasures::from_tensor(const torch::Tensor& values) {
  const torch::Tensor flat = values.to(torch::kCPU, torch::kFloat64).contiguous();
  const int64_t expected = RankMeasures{}.to_tensor().numel();
  if (flat.numel() != expected)
    throw std::invalid_argument("pipeline: rank measures of " + std::to_string(flat.numel()) + " values, expected " +
                                std::to_string(expected));
  RankMeasures m;
  const double* next = flat.data_ptr<double>();
  visit_measures(m, [&](auto& field) { field = static_cast<std::decay_t<decltype(field)>>(*next++); });
  return m;
}

RankMeasures rank_measures(const PipelineTrainer& trainer) {
  return {trainer.stage_stats(), trainer.previous_boundary(), trainer.next_boundary()};
}

std::vector<RankMeasures> gather_measures(const RankMeasures& own, comm::Communicator& world) {
  std::vector<RankMeasures> all;
  for (const torch::Tensor& values : world.allgather(own.to_tensor(), comm::Traffic::Bookkeeping))
    all.push_back(RankMeasures::from_tensor(values));
  return all;
}

std::map<std::string, double> pipeline_metrics(const std::vector<RankMeasures>& ranks, const StageSplit& split,
                                               const std::vector<int>& group_ranks, int64_t chunks) {
  if (group_ranks.empty() || group_ranks.size() != split.size())
    throw std::invalid_argument("pipeline: " + std::to_string(group_ranks.size()) + " group ranks for " +
                                std::to_string(split.size()) + " groups");
  const int stages = *std::max_element(group_ranks.begin(), group_ranks.end()) + 1;  // stage ranks per pipeline
  std::map<std::string, double> m;
  double compute = 0.0, step = 0.0, wire = 0.0, dense = 0.0;
  for (const RankMeasures& r : ranks) {
    compute += r.stage.compute_seconds;
    step += r.stage.step_seconds;
    wire += static_cast<double>(r.next.bytes_sent) + static_cast<double>(r.previous.bytes_sent);
    dense += static_cast<double>(r.next.dense_bytes_sent + r.previous.dense_bytes_sent);
  }
  if (dense > 0.0) m["boundary_compression_ratio"] = wire / dense;
  m["pipeline_efficiency"] = step > 0.0 ? compute / step : 0.0;
  // One group per stage rank: GPipe's bound; more groups than ranks: first_and_last's.
  m["ideal_efficiency"] = static_cast<int>(split.size()) == stages ? ideal_efficiency(stages, chunks)
                                                                  : first_and_last_ideal_efficiency(chunks);
  m["pipeline_stages"] = stages;
  m["pipeline_replicas"] = static_cast<double>(ranks.size() / static_cast<size_t>(stages));
  for (int k = 0; k < stages; ++k) {  // pipeline 0: world ranks 0..K-1
    const RankMeasures& r = ranks.at(static_cast<size_t>(k));
    m["peak_live_micro_batches." + std::to_string(k)] = static_cast<double>(r.stage.peak_live_micro_batches);
    m["peak_activation_bytes." + std::to_string(k)] = static_cast<double>(r.stage.peak_activation_bytes);
    m["step_seconds." + std::to_string(k)] = r.stage.step_seconds;
    m["compute_seconds." + std::to_string(k)] = r.stage.compute_seconds;
    m["codec_seconds." + std::to_string(k)] = r.previous.codec_seconds + r.next.codec_seconds;
    m["receive_seconds." + std::to_string(k)] = r.previous.recv_seconds + r.next.recv_seconds;
    m["update_seconds." + std::to_string(k)] = r.stage.update_seconds;
  }
  for (size_t g = 0; g < split.size(); ++g) {
    const std::string group = std::to_string(g);
    m["stage_first." + group] = static_cast<double>(split[g].first);
    if (g == 0) continue;
    // boundary g joins group g - 1's rank (activations sent, gradients received) and group g's (the
    // reverse); every rank has at most one boundary each way (contiguous and first_and_last).
    const RankMeasures& before = ranks.at(static_cast<size_t>(group_ranks[g - 1]));
    const RankMeasures& r = ranks.at(static_cast<size_t>(group_ranks[g]));
    const std::string b = "boundary." + group;
    m[b + ".forward_bytes"] = static_cast<double>(before.next.bytes_sent);
    m[b + ".backward_bytes"] = static_cast<double>(r.previous.bytes_sent);
    m[b + ".forward_recv_s"] = r.previous.recv_seconds;
    m[b + ".backward_recv_s"] = before.next.recv_seconds;
    if (r.previous.recv_seconds > 0)
      m[b + ".forward_bandwidth_Bps"] = static_cast<double>(r.previous.bytes_received) / r.previous.recv_seconds;
    if (before.next.recv_seconds > 0)
      m[b + ".backward_bandwidth_Bps"] = static_cast<double>(before.next.bytes_received) / before.next.recv_seconds;
  }
  return m;
}

}  // namespace iddl::pipeline
