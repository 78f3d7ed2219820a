// Human-readable numbers for report cells.
#pragma once

#include <string>

namespace iddl::reports {

// A duration in seconds: "450ms", "12.3s", "1m54s", "2h03m07s".
std::string format_duration(double seconds);

// A fraction in [0, 1] as a percentage with 2 decimals: 0.8766 -> "87.66%".
std::string format_percent(double fraction);

// A count with a decimal (1000-based) suffix and at most 2 decimals: "950", "94.6K", "557.89M", "1.2G".
std::string format_count(double count);

// A byte count with a binary (1024-based) unit: "512 B", "1.5 KiB", "12.25 MiB", "3 GiB".
std::string format_bytes(double bytes);

// A rate in bytes per second with a decimal unit: "800 B/s", "12.5 kB/s", "3.2 MB/s", "1.1 GB/s".
std::string format_rate(double bytes_per_second);

}  // namespace iddl::reports
