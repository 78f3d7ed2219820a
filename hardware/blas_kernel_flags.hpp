// The instruction sets each OpenBLAS x86-64 kernel uses, checked against the CPU flags before a kernel is forced.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace iddl::hardware {

// The CPU flags (as /proc/cpuinfo names them) that OpenBLAS kernel `corename` (case-insensitive) uses:
// e.g. SkylakeX: avx2, fma, avx512f, avx512bw, avx512dq, avx512vl; empty for a kernel
// the table does not list (the generic ones for CPUs before SSE3, unknown names).
std::vector<std::string> kernel_required_flags(const std::string& corename);

// The flags of kernel_required_flags(corename) that `flags` lacks, in the table's order.
std::vector<std::string> missing_kernel_flags(const std::string& corename, const std::set<std::string>& flags);

// Throws std::runtime_error when a CPU with `flags` cannot run kernel `corename` (it would die with SIGILL):
// the message names the kernel, `source` (where the kernel was asked for), the missing instruction sets and
// the best kernel the CPU allows.
void require_kernel_runs_on(const std::string& corename, const std::set<std::string>& flags, const std::string& source);

}  // namespace iddl::hardware
