// RFC 3339 timestamps and human durations.
#include "acuctl/timefmt.hpp"

#include <cstdio>
#include <ctime>

#include "acuctl/error.hpp"

namespace acuctl {

std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string now_rfc3339() { return rfc3339_utc(std::chrono::system_clock::now()); }

std::chrono::system_clock::time_point parse_rfc3339(std::string_view text) {
  std::tm tm{};
  int consumed = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    fail("invalid timestamp '" + s + "': expected RFC 3339 UTC like 2026-01-02T03:04:05Z");
  std::size_t i = static_cast<std::size_t>(consumed);
  double frac = 0;
  if (i < s.size() && s[i] == '.') {
    std::size_t j = i + 1;
    double scale = 0.1;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
      frac += (s[j] - '0') * scale;
      scale /= 10;
      ++j;
    }
    i = j;
  }
  if (i + 1 != s.size() || (s[i] != 'Z' && s[i] != 'z'))
    fail("invalid timestamp '" + s + "': expected RFC 3339 UTC ending in Z");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = timegm(&tm);
  return std::chrono::system_clock::from_time_t(secs) +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(frac));
}

std::chrono::milliseconds parse_duration(std::string_view text) {
  if (text.empty()) fail_usage("invalid duration '': expected a number and a unit, like 30s");
  std::chrono::milliseconds total{0};
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    double value = 0;
    bool digits = false;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
      digits = true;
      ++i;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      double scale = 0.1;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        value += (text[i] - '0') * scale;
        scale /= 10;
        digits = true;
        ++i;
      }
    }
    std::size_t unit_start = i;
    while (i < text.size() && ((text[i] >= 'a' && text[i] <= 'z'))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double ms = 0;
    if (unit == "ms") ms = value;
    else if (unit == "s") ms = value * 1000;
    else if (unit == "m") ms = value * 60000;
    else if (unit == "h") ms = value * 3600000;
    else digits = false;
    if (!digits || i == start)
      fail_usage("invalid duration '" + std::string(text) + "': expected a number and a unit (ms, s, m, h), like 30s");
    if (ms > 1e12) fail_usage("invalid duration '" + std::string(text) + "': too long");
    total += std::chrono::milliseconds(static_cast<std::int64_t>(ms + 0.5));
  }
  return total;
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 3600000 == 0 && ms > 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0 && ms > 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace acuctl
