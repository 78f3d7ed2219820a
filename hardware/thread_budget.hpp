#pragma once

namespace iddl::hardware {

// Intra-op threads per rank: the `threads` setting, or cores / ranks (at least 1) when it is 0.
int threads_per_rank(int threads_setting, int ranks, int cores);

// Whether mpirun must leave ranks unbound: a rank bound to one core cannot use more threads.
bool needs_unbound_ranks(int threads_per_rank);

}  // namespace iddl::hardware
