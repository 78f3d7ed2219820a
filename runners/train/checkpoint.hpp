#pragma once
// Checkpoints of a run (docs/checkpoints.md): each rank's training state at the end of an epoch, written
// atomically to <dir>/epoch<k>/rank<r>.pt, and the run's final weights (save_model).
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>

#include "core/comm/communicator.hpp"
#include "core/train/checkpointable.hpp"
#include "core/train/epoch_driver.hpp"
#include "matrix/checkpoint_policy.hpp"
#include "runners/train/run_events.hpp"

namespace iddl::runners {

// The checkpoints of one run in its folder, saved and read by every rank of `comm`.
class Checkpoints {
 public:
  Checkpoints(std::filesystem::path dir, comm::Communicator& comm) : dir_(std::move(dir)), comm_(comm) {}

  // The last epoch every rank of the world saved (0 when none), as rank 0 sees it (a collective call).
  int64_t latest_complete() const;
  // Saves this rank's state after `epoch` (its step engine's, schedule step, torch's CPU generator, the totals so
  // far), writing a temporary file then renaming it; once every rank has saved, rank 0 removes older epochs.
  // A collective call.
  void save(int64_t epoch, const train::Checkpointable& engine, const train::EpochDriver& driver,
            const EpochTotals& totals) const;
  // Puts back what save() wrote after `epoch` into the engine, the driver, torch's CPU generator and `totals`.
  void load(int64_t epoch, train::Checkpointable& engine, train::EpochDriver& driver, EpochTotals& totals) const;
  // This rank's file of `epoch`, for what must be read before the engine exists (a pipeline's split).
  torch::serialize::InputArchive archive(int64_t epoch) const;
  // Removes the run's checkpoint folder (rank 0, after a barrier): the run is done.
  void remove() const;

 private:
  std::filesystem::path file(int64_t epoch, int rank) const;

  std::filesystem::path dir_;
  comm::Communicator& comm_;
};

// What a run does after each epoch (run_epochs' after_epoch): saves a checkpoint of `engine` and `driver` to
// `checkpoints` (none when null) when `policy` says so (CheckpointSchedule), and, with IDDL_TEST_KILL_AFTER_EPOCH=k
// in the environment, kills this rank (SIGKILL) once epoch k is over and checkpointed: the preemption the resume
// tests simulate. A collective call.
std::function<void(const EpochTotals&)> checkpoints_after_epoch(const matrix::CheckpointPolicy& policy,
                                                                const Checkpoints* checkpoints,
                                                                const train::Checkpointable& engine,
                                                                const train::EpochDriver& driver,
                                                                comm::Communicator& comm);

// Writes this rank's model parameters and buffers to <dir>/rank<r>.pt (torch::serialize, loadable with
// torch::load into the same model or read key by key with an InputArchive), through a temporary file.
void save_final_model(const std::filesystem::path& dir, int rank, const torch::nn::Module& model);

}  // namespace iddl::runners
