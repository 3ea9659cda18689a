// Timestamps and durations.
#include <doctest/doctest.h>

#include "acuctl/error.hpp"
#include "acuctl/timefmt.hpp"

using namespace acuctl;
using namespace std::chrono_literals;

TEST_CASE("durations parse in ms, s, m, h and combinations") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("30s") == 30s);
  CHECK(parse_duration("2m") == 2min);
  CHECK(parse_duration("1h") == 1h);
  CHECK(parse_duration("1m30s") == 90s);
  CHECK(parse_duration("1.5s") == 1500ms);
  for (const char* bad : {"", "30", "s", "30x", "-1s", "1 s", "ms"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_duration(bad), Error);
  }
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(2min) == "2m");
  CHECK(format_duration(250ms) == "250ms");
}

TEST_CASE("RFC 3339 timestamps round-trip") {
  auto t = parse_rfc3339("2026-11-28T11:25:10Z");
  CHECK(rfc3339_utc(t) == "2026-11-28T11:25:10Z");
  CHECK(parse_rfc3339("2026-11-28T11:25:10.5Z") - t == 500ms);
  CHECK_THROWS_AS(parse_rfc3339("2026-11-28 11:25:10"), Error);
  CHECK_THROWS_AS(parse_rfc3339("2026-11-28T11:25:10+01:00"), Error);
}
