// Tests for lib/runner/metrics.cpp: exposition format, buckets, escaping.
#include <doctest/doctest.h>

#include <thread>

#include "acuctl/metrics.hpp"

using namespace acuctl::runner;

TEST_CASE("requests are counted by code and observed into cumulative buckets") {
  Metrics m;
  auto s = m.series("iris", "1.0.0", "stable");
  s->observe(200, 0.00005);
  s->observe(200, 0.003);
  s->observe(500, 20);
  CHECK(m.series("iris", "1.0.0", "stable") == s);
  std::string text = m.render({{"iris", 10}});
  CHECK(text.find("# TYPE acu_requests_total counter") != std::string::npos);
  CHECK(text.find(R"(acu_requests_total{model="iris",version="1.0.0",slot="stable",code="200"} 2)") != std::string::npos);
  CHECK(text.find(R"(acu_requests_total{model="iris",version="1.0.0",slot="stable",code="500"} 1)") != std::string::npos);
  CHECK(text.find(R"(acu_request_duration_seconds_bucket{model="iris",version="1.0.0",slot="stable",le="0.0001"} 1)") != std::string::npos);
  CHECK(text.find(R"(acu_request_duration_seconds_bucket{model="iris",version="1.0.0",slot="stable",le="0.005"} 2)") != std::string::npos);
  CHECK(text.find(R"(acu_request_duration_seconds_bucket{model="iris",version="1.0.0",slot="stable",le="10"} 2)") != std::string::npos);
  CHECK(text.find(R"(acu_request_duration_seconds_bucket{model="iris",version="1.0.0",slot="stable",le="+Inf"} 3)") != std::string::npos);
  CHECK(text.find(R"(acu_request_duration_seconds_count{model="iris",version="1.0.0",slot="stable"} 3)") != std::string::npos);
  CHECK(text.find(R"(acu_canary_weight{model="iris"} 10)") != std::string::npos);
}

TEST_CASE("loads and swaps are counted by label") {
  Metrics m;
  m.count_load("iris", "success");
  m.count_load("iris", "success");
  m.count_load("iris", "failure");
  m.count_swap("iris", "deploy");
  std::string text = m.render({});
  CHECK(text.find(R"(acu_model_loads_total{model="iris",result="success"} 2)") != std::string::npos);
  CHECK(text.find(R"(acu_model_loads_total{model="iris",result="failure"} 1)") != std::string::npos);
  CHECK(text.find(R"(acu_model_swaps_total{model="iris",kind="deploy"} 1)") != std::string::npos);
}

TEST_CASE("label values are escaped") {
  CHECK(escape_label("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("counting from many threads loses nothing") {
  Metrics m;
  auto s = m.series("iris", "1", "canary");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25000; ++i) s->observe(200, 0.001);
    });
  for (auto& t : threads) t.join();
  CHECK(s->requests(200) == 100000);
  CHECK(m.render({}).find(R"(slot="canary",le="+Inf"} 100000)") != std::string::npos);
}
