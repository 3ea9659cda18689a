// Tests for lib/runner/runner.cpp: the --listen address.
#include <doctest/doctest.h>

#include "acuctl/error.hpp"
#include "acuctl/runner.hpp"

using namespace acuctl;

TEST_CASE("listen addresses") {
  CHECK(runner::parse_listen_address("127.0.0.1:8080") == std::pair<std::string, std::uint16_t>{"127.0.0.1", 8080});
  CHECK(runner::parse_listen_address("[::1]:0") == std::pair<std::string, std::uint16_t>{"::1", 0});
  CHECK(runner::parse_listen_address("localhost:9") == std::pair<std::string, std::uint16_t>{"localhost", 9});
  for (const char* bad : {"8080", ":8080", "host:", "host:x", "host:70000", "host:80x"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(runner::parse_listen_address(bad), Error);
  }
}
