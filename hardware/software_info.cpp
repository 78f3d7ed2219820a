#include "hardware/software_info.hpp"

#include "iddl_build_info.hpp"

namespace iddl::hardware {

std::string iddl_commit() { return IDDL_GIT_COMMIT; }

std::string compiler_version() { return IDDL_COMPILER; }

}  // namespace iddl::hardware
