// Human-readable numbers for report cells.
#pragma once

#include <string>

namespace iddl::reports {

// A duration in seconds: "450ms", "12.3s", "1m54s", "2h03m07s".
std::string format_duration(double seconds);

// A fraction in [0, 1] as a percentage with 2 decimals: 0.8766 -> "87.66%".
std::string format_percent(double fraction);

// A count as papers print FLOPs and parameters, at most 2 decimals: "950", "94.6K", "0.31M", "557.89M", "1.2G".
std::string format_count(double count);

// A whole number as is: 42 -> "42", 12345 -> "12345".
std::string format_integer(double value);

// A byte count with a binary (1024-based) unit: "512 B", "1.5 KiB", "12.25 MiB", "3 GiB".
std::string format_bytes(double bytes);

// A rate in bytes per second with a decimal unit: "800 B/s", "12.5 kB/s", "3.2 MB/s", "1.1 GB/s".
std::string format_rate(double bytes_per_second);

// Events per second with 2 decimals: "228.57/s".
std::string format_per_second(double per_second);
// Milliseconds with 3 significant digits: "0.0625ms", "12.3ms", "450ms"; from 1 s on as format_duration.
std::string format_milliseconds(double milliseconds);

// A plain number with 4 significant digits, e.g. a loss: "0.3125", "2.303", "1.235e-05".
std::string format_decimal(double value);

// A difference of two fractions in signed percentage points: 0.0125 -> "+1.25 pp", -0.5 -> "-50.00 pp".
std::string format_points(double fraction_difference);

// A number as a machine reads it: 12 significant digits, so a mean's rounding noise goes ("0.85", not
// "0.8500000000000001"; "1.5e-05"); integral values whole ("1048576"); NaN and infinities as "".
std::string format_raw(double value);

// A signed difference written by format on its magnitude: "+12.3s", "-1.5 KiB", "0" stays unsigned.
std::string format_signed(double difference, std::string (*format)(double));

}  // namespace iddl::reports
