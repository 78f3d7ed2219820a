#include "runners/train/checkpoint.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <system_error>
#include <thread>

#include "runners/train/checkpoint_schedule.hpp"

namespace iddl::runners {
namespace fs = std::filesystem;
namespace {

// How long IDDL_TEST_PAUSE_AFTER_EPOCH holds every rank after its checkpoint (tests stop the sweep meanwhile).
constexpr int kTestPauseSeconds = 60;

// Epoch k's folder name, "epoch<k>"; -1 for a name of another form.
int64_t epoch_of(const fs::path& folder) {
  const std::string name = folder.filename().string();
  if (name.rfind("epoch", 0) != 0 || name.size() == 5) return -1;
  for (size_t i = 5; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return -1;
  return std::stoll(name.substr(5));
}

// Writes `archive` to `path` through "<path>.tmp" and a rename, so that `path` is whole or absent.
void save_atomically(torch::serialize::OutputArchive& archive, const fs::path& path) {
  fs::create_directories(path.parent_path());
  const fs::path temporary = path.string() + ".tmp";
  archive.save_to(temporary.string());
  fs::rename(temporary, path);
}

// The run's totals as JSON text (a checkpoint keeps them so that run_finished counts every epoch).
std::string totals_text(const EpochTotals& totals) {
  return nlohmann::json{{"bytes_sent", totals.comm.bytes_sent},
                        {"bytes_received", totals.comm.bytes_received},
                        {"comm_seconds", totals.comm.seconds},
                        {"comm_total_seconds", totals.comm.total_seconds},
                        {"train_time_s", totals.train_time_s},
                        {"epoch", totals.last.epoch},
                        {"train_loss", totals.last.train_loss},
                        {"test_loss", totals.last.test_loss},
                        {"test_accuracy", totals.last.test_accuracy},
                        {"test_metrics", totals.last.test_metrics}}
      .dump();
}

EpochTotals totals_from(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  EpochTotals totals;
  totals.comm.bytes_sent = j.at("bytes_sent").get<int64_t>();
  totals.comm.bytes_received = j.at("bytes_received").get<int64_t>();
  totals.comm.seconds = j.at("comm_seconds").get<double>();
  totals.comm.total_seconds = j.value("comm_total_seconds", totals.comm.seconds);  // a checkpoint from before overlap
  totals.train_time_s = j.at("train_time_s").get<double>();
  totals.last.epoch = j.at("epoch").get<int64_t>();
  totals.last.train_loss = j.at("train_loss").get<double>();
  totals.last.test_loss = j.at("test_loss").get<double>();
  totals.last.test_accuracy = j.at("test_accuracy").get<double>();
  totals.last.test_metrics = j.at("test_metrics").get<std::map<std::string, double>>();
  return totals;
}

}  // namespace

fs::path Checkpoints::file(int64_t epoch, int rank) const {
  return dir_ / ("epoch" + std::to_string(epoch)) / ("rank" + std::to_string(rank) + ".pt");
}

int64_t Checkpoints::latest_complete() const {
  int64_t latest = 0;
  std::error_code error;
  if (comm_.rank() == 0 && fs::is_directory(dir_, error)) {
    for (const auto& entry : fs::directory_iterator(dir_, error)) {
      const int64_t epoch = epoch_of(entry.path());
      if (epoch <= latest) continue;
      bool complete = true;
      for (int rank = 0; rank < comm_.size() && complete; ++rank) complete = fs::is_regular_file(file(epoch, rank));
      if (complete) latest = epoch;
    }
  }
  torch::Tensor shared = torch::tensor({latest}, torch::kInt64);
  comm_.allreduce_sum(shared, comm::Traffic::Bookkeeping);  // only rank 0 contributes
  return shared[0].item<int64_t>();
}

void Checkpoints::save(int64_t epoch, const train::Checkpointable& engine, const train::EpochDriver& driver,
                       const EpochTotals& totals) const {
  torch::serialize::OutputArchive archive;
  engine.save(archive);
  archive.write("step", torch::tensor({driver.step()}, torch::kInt64));
  archive.write("cpu_generator", at::detail::getDefaultCPUGenerator().get_state());
  archive.write("totals", c10::IValue(totals_text(totals)));
  save_atomically(archive, file(epoch, comm_.rank()));
  comm_.barrier();  // every rank's file of `epoch` is whole: the older ones can go
  if (comm_.rank() != 0) return;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir_, error)) {
    const int64_t older = epoch_of(entry.path());
    if (older >= 0 && older < epoch) fs::remove_all(entry.path(), error);
  }
}

torch::serialize::InputArchive Checkpoints::archive(int64_t epoch) const {
  torch::serialize::InputArchive archive;
  archive.load_from(file(epoch, comm_.rank()).string());
  return archive;
}

void Checkpoints::load(int64_t epoch, train::Checkpointable& engine, train::EpochDriver& driver,
                       EpochTotals& totals) const {
  torch::serialize::InputArchive archive = this->archive(epoch);
  engine.load(archive);
  torch::Tensor step, generator;
  archive.read("step", step);
  archive.read("cpu_generator", generator);
  driver.set_step(step[0].item<int64_t>());
  at::Generator cpu = at::detail::getDefaultCPUGenerator();  // a handle on the one generator
  cpu.set_state(generator);
  c10::IValue text;
  archive.read("totals", text);
  totals = totals_from(text.toStringRef());
}

void Checkpoints::remove() const {
  comm_.barrier();
  std::error_code error;
  if (comm_.rank() == 0) fs::remove_all(dir_, error);
}

std::function<void(const EpochTotals&)> checkpoints_after_epoch(const matrix::CheckpointPolicy& policy,
                                                                const Checkpoints* checkpoints,
                                                                const train::Checkpointable& engine,
                                                                const train::EpochDriver& driver,
                                                                comm::Communicator& comm) {
  const char* kill = std::getenv("IDDL_TEST_KILL_AFTER_EPOCH");
  const int64_t killed_after = kill ? std::atoll(kill) : -1;
  const char* pause = std::getenv("IDDL_TEST_PAUSE_AFTER_EPOCH");
  const int64_t paused_after = pause ? std::atoll(pause) : -1;
  return [schedule = CheckpointSchedule(policy, comm), checkpoints, &engine, &driver, killed_after,
          paused_after](const EpochTotals& at) mutable {
    if (checkpoints && schedule.due(at.last.epoch)) checkpoints->save(at.last.epoch, engine, driver, at);
    if (at.last.epoch == killed_after) std::raise(SIGKILL);
    if (at.last.epoch == paused_after) std::this_thread::sleep_for(std::chrono::seconds(kTestPauseSeconds));
  };
}

void save_final_model(const fs::path& dir, int rank, const torch::nn::Module& model) {
  torch::serialize::OutputArchive archive;
  model.save(archive);
  save_atomically(archive, dir / ("rank" + std::to_string(rank) + ".pt"));
}

}  // namespace iddl::runners
