// Sizes on the command line (lib/core/units.cpp) and the configured bundle
// size limit built on them.
#include <doctest/doctest.h>

#include <cstdlib>

#include "acuctl/bundle.hpp"
#include "acuctl/contract.hpp"
#include "acuctl/error.hpp"
#include "acuctl/units.hpp"

using namespace acuctl;

TEST_CASE("sizes with and without units") {
  CHECK(parse_size("--x", "0") == 0);
  CHECK(parse_size("--x", "1048576") == 1048576);
  CHECK(parse_size("--x", "7B") == 7);
  CHECK(parse_size("--x", "512KiB") == 512ULL << 10);
  CHECK(parse_size("--x", "64M") == 64ULL << 20);
  CHECK(parse_size("--x", "16GiB") == 16ULL << 30);
  CHECK(parse_size("--x", "2t") == 2ULL << 40);
  CHECK(parse_size("--x", "18446744073709551615") == UINT64_MAX);
}

TEST_CASE("malformed sizes are usage errors naming the option and the text") {
  for (const char* bad : {"", "MiB", "-1", " 5", "5 MiB", "5MB", "1.5GiB", "0x10", "18446744073709551616",
                          "16777216TiB", "99999999999999999999999"}) {
    CAPTURE(bad);
    try {
      parse_size("--max-body", bad);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.exit() == Exit::usage);
      CHECK(std::string(e.what()).find("--max-body '" + std::string(bad) + "'") != std::string::npos);
    }
  }
}

TEST_CASE("ACUCTL_MAX_BUNDLE_SIZE sets the unpack limit") {
  ::unsetenv("ACUCTL_MAX_BUNDLE_SIZE");
  CHECK(configured_unpack_limit() == contract::default_unpack_limit);
  CHECK(ReadOptions{}.unpack_limit == contract::default_unpack_limit);
  ::setenv("ACUCTL_MAX_BUNDLE_SIZE", "32GiB", 1);
  CHECK(configured_unpack_limit() == 32ULL << 30);
  CHECK(ReadOptions{}.unpack_limit == 32ULL << 30);
  for (const char* bad : {"0", "lots", "-5G"}) {
    ::setenv("ACUCTL_MAX_BUNDLE_SIZE", bad, 1);
    CHECK_THROWS_WITH_AS(configured_unpack_limit(), doctest::Contains("ACUCTL_MAX_BUNDLE_SIZE"), Error);
  }
  ::unsetenv("ACUCTL_MAX_BUNDLE_SIZE");
}
