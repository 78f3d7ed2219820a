// A run's checkpoints kept in step with its stored epochs before it is run again (docs/checkpoints.md).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace iddl::launch {

// Removes the checkpoints (`epoch<k>` folders) in the run's checkpoint folder taken after epoch `stored`, the last
// epoch the database holds with every earlier one: ranks that outlived a killed iddl-sweep may have checkpointed
// epochs it never recorded, and resuming from one would leave those epochs missing. Returns the epochs removed.
std::vector<int64_t> drop_checkpoints_after(const std::string& folder, int64_t stored);

}  // namespace iddl::launch
