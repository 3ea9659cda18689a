// Time as the contract writes it: RFC 3339 UTC, and durations like 30s, 2m, 1h.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace acuctl {

std::string rfc3339_utc(std::chrono::system_clock::time_point t);
std::string now_rfc3339();
// Parses "2026-11-28T11:25:10Z" (fractional seconds allowed); throws Error.
std::chrono::system_clock::time_point parse_rfc3339(std::string_view text);

// Parses "250ms", "30s", "2m", "1h", "1m30s"; throws Error(usage) naming the text.
std::chrono::milliseconds parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds d);

}  // namespace acuctl
