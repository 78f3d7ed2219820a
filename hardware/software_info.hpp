#pragma once
#include <string>

namespace iddl::hardware {

// The git commit IDDL was configured from ("abc123def456", with "-dirty" for uncommitted
// changes; "unknown" outside a git checkout).
std::string iddl_commit();

// The compiler IDDL was built with, e.g. "GNU 12.2.0".
std::string compiler_version();

}  // namespace iddl::hardware
