#pragma once
#include <sys/types.h>

#include <vector>

namespace iddl::launch {

// The processes descended from `root` (children, grandchildren, ...), read from /proc.
std::vector<pid_t> descendants(pid_t root);

// Sends `signal` to `root`'s process group and to every descendant (which may have left it).
void signal_tree(pid_t root, int signal);

}  // namespace iddl::launch
