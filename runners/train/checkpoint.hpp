#pragma once
// Checkpoints of a run (docs/checkpoints.md): each rank's training state at the end of an epoch, written
// atomically to <dir>/epoch<k>/rank<r>.pt, and the run's final weights (save_model).
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>

#include "core/comm/communicator.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/trainer.hpp"
#include "runners/train/run_events.hpp"

namespace iddl::runners {

// The checkpoints of one run in its folder, saved and read by every rank of `comm`.
class Checkpoints {
 public:
  Checkpoints(std::filesystem::path dir, comm::Communicator& comm) : dir_(std::move(dir)), comm_(comm) {}

  // The last epoch every rank of the world saved (0 when none), as rank 0 sees it (a collective call).
  int64_t latest_complete() const;
  // Saves this rank's state after `epoch` (trainer, schedule step, torch's CPU generator, the totals so far),
  // writing a temporary file then renaming it; once every rank has saved, rank 0 removes older epochs.
  // A collective call.
  void save(int64_t epoch, const train::Trainer& trainer, const train::EpochDriver& driver,
            const EpochTotals& totals) const;
  // Puts back what save() wrote after `epoch` into the trainer, the driver, torch's CPU generator and `totals`.
  void load(int64_t epoch, train::Trainer& trainer, train::EpochDriver& driver, EpochTotals& totals) const;
  // Removes the run's checkpoint folder (rank 0, after a barrier): the run is done.
  void remove() const;

 private:
  std::filesystem::path file(int64_t epoch, int rank) const;

  std::filesystem::path dir_;
  comm::Communicator& comm_;
};

// Writes this rank's model parameters and buffers to <dir>/rank<r>.pt (torch::serialize, loadable with
// torch::load into the same model or read key by key with an InputArchive), through a temporary file.
void save_final_model(const std::filesystem::path& dir, int rank, const torch::nn::Module& model);

}  // namespace iddl::runners
