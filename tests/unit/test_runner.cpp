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

TEST_CASE("input compatibility: the new version accepts every input the stable accepts") {
  using runner::input_incompatibility;
  Descriptor stable;
  stable.name = "iris";
  stable.version = "1";
  stable.inputs = {{"x", DataType::FP32, {-1, 4}}};
  Descriptor next = stable;
  next.version = "2";
  CHECK_FALSE(input_incompatibility(stable, next).has_value());
  next.inputs = {{"x", DataType::FP32, {-1, -1}}};  // more permissive
  CHECK_FALSE(input_incompatibility(stable, next).has_value());

  auto why = [&](auto change) {
    Descriptor d = stable;
    change(d);
    return input_incompatibility(stable, d).value_or("");
  };
  CHECK(why([](Descriptor& d) { d.inputs[0].shape = {-1, 5}; }).find("shape [-1, 5]") != std::string::npos);
  CHECK(why([](Descriptor& d) { d.inputs[0].shape = {1, 4}; }).find("shape") != std::string::npos);
  CHECK(why([](Descriptor& d) { d.inputs[0].shape = {-1, 4, 1}; }).find("shape") != std::string::npos);
  CHECK(why([](Descriptor& d) { d.inputs[0].datatype = DataType::FP64; }).find("FP64") != std::string::npos);
  CHECK(why([](Descriptor& d) { d.inputs[0].name = "features"; }).find("no input 'x'") != std::string::npos);
  CHECK(why([](Descriptor& d) { d.inputs.push_back({"y", DataType::FP32, {-1}}); }).find("requires input 'y'") !=
        std::string::npos);
  CHECK(why([](Descriptor& d) { d.name = "other"; }).find("model name") != std::string::npos);
}
