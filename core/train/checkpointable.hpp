#pragma once
#include <torch/torch.h>

namespace iddl::train {

// A step engine whose training state a checkpoint holds (docs/checkpoints.md): what it writes at the end of an
// epoch and puts back when a run resumes after that epoch.
class Checkpointable {
 public:
  virtual ~Checkpointable() = default;

  // Writes this rank's training state to `archive`.
  virtual void save(torch::serialize::OutputArchive& archive) const = 0;
  // Puts back what save() wrote, before the first epoch that follows it.
  virtual void load(torch::serialize::InputArchive& archive) = 0;
};

}  // namespace iddl::train
