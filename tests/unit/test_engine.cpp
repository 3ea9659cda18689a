// Unit tests for the rollout engine's pure pieces: reading runner replies,
// fleet problems, synthetic requests (hostile metadata) and status rows.
#include <doctest/doctest.h>

#include "acuctl/rollout_engine.hpp"

using namespace acuctl;
using namespace acuctl::rollout;
using nlohmann::json;

namespace {
RunnerReply answered(long status, json body, std::string runner = "http://127.0.0.1:1") {
  RunnerReply r;
  r.runner = std::move(runner);
  r.status = status;
  r.body = std::move(body);
  return r;
}
RunnerReply unreachable(std::string runner, std::string error = "connection refused") {
  RunnerReply r;
  r.runner = std::move(runner);
  r.error = std::move(error);
  return r;
}
json state(const char* stable, const char* canary, int weight = 0) {
  json s = {{"model", "m"}, {"generation", 3}, {"canary_weight", weight}, {"previous", nullptr}, {"lease", nullptr}};
  s["stable"] = stable ? json{{"version", stable}, {"digest", "sha256:00"}} : json(nullptr);
  s["canary"] = canary ? json{{"version", canary}, {"digest", "sha256:11"}} : json(nullptr);
  return s;
}
}  // namespace

TEST_CASE("slot_version reads a slot and tolerates anything else") {
  CHECK(slot_version(state("1.0", "2.0"), "stable") == "1.0");
  CHECK(slot_version(state("1.0", "2.0"), "canary") == "2.0");
  CHECK(slot_version(state("1.0", nullptr), "canary").empty());
  CHECK(slot_version(json(nullptr), "stable").empty());
  CHECK(slot_version(json::array(), "stable").empty());
  CHECK(slot_version(json{{"stable", "1.0"}}, "stable").empty());
  CHECK(slot_version(json{{"stable", {{"version", 7}}}}, "stable").empty());
}

TEST_CASE("classify_reply: ok, lost, refused, canary gone") {
  CHECK(classify_reply(answered(200, state("1", "2", 10)), "2") == RunnerHealth::ok);
  CHECK(classify_reply(answered(200, state("1", "2", 10)), "") == RunnerHealth::ok);
  CHECK(classify_reply(unreachable("http://x:1"), "2") == RunnerHealth::lost);
  CHECK(classify_reply(answered(409, json{{"error", "no canary"}}), "2") == RunnerHealth::refused);
  CHECK(classify_reply(answered(500, nullptr), "2") == RunnerHealth::refused);
  CHECK(classify_reply(answered(200, state("1", nullptr)), "2") == RunnerHealth::canary_gone);
  CHECK(classify_reply(answered(200, state("1", "3", 10)), "2") == RunnerHealth::canary_gone);
  CHECK(classify_reply(answered(200, "not an object"), "2") == RunnerHealth::canary_gone);
}

TEST_CASE("fleet_problem names every runner that is not fine") {
  std::vector<RunnerReply> fine{answered(200, state("1", "2", 50), "http://a:1"), answered(200, state("1", "2", 50), "http://b:2")};
  CHECK_FALSE(fleet_problem(fine, "2").has_value());

  auto lost = fine;
  lost[1] = unreachable("http://b:2");
  auto p = fleet_problem(lost, "2");
  REQUIRE(p);
  CHECK(*p == "lost runner http://b:2: connection refused");

  auto gone = fine;
  gone[0] = answered(200, state("1", nullptr), "http://a:1");
  gone[1] = unreachable("http://b:2", "timed out");
  p = fleet_problem(gone, "2");
  REQUIRE(p);
  CHECK(p->find("runner http://a:1 no longer serves canary 2 (aborted or its lease expired)") != std::string::npos);
  CHECK(p->find("lost runner http://b:2: timed out") != std::string::npos);

  std::vector<RunnerReply> refused{answered(403, json{{"error", "untrusted signer"}}, "http://a:1")};
  p = fleet_problem(refused, "");
  REQUIRE(p);
  CHECK(*p == "runner refused the change: http://a:1: HTTP 403 untrusted signer");
}

TEST_CASE("weight_body carries the weight and renews the lease") {
  CHECK(weight_body(50, 10) == json{{"weight", 50}, {"lease_seconds", 10}});
}

TEST_CASE("synthetic_request: one row of zeros per input") {
  json meta = {{"name", "m"},
               {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-1, 4}}},
                           {{"name", "flag"}, {"datatype", "BOOL"}, {"shape", {-1}}},
                           {{"name", "s"}, {"datatype", "BYTES"}, {"shape", {2}}}}}};
  json r = synthetic_request(meta);
  REQUIRE(r["inputs"].size() == 3);
  CHECK(r["inputs"][0] == json{{"name", "x"}, {"datatype", "FP32"}, {"shape", {1, 4}}, {"data", {0, 0, 0, 0}}});
  CHECK(r["inputs"][1]["data"] == json{false});
  CHECK(r["inputs"][2]["data"] == json{"", ""});
}

TEST_CASE("synthetic_request refuses hostile metadata") {
  CHECK_THROWS_AS(synthetic_request(json(nullptr)), Error);
  CHECK_THROWS_AS(synthetic_request(json::object()), Error);
  CHECK_THROWS_AS(synthetic_request(json{{"inputs", json::array()}}), Error);
  CHECK_THROWS_AS(synthetic_request(json{{"inputs", {1, 2}}}), Error);
  CHECK_THROWS_AS(synthetic_request(json{{"inputs", {{{"name", "x"}, {"datatype", "FP32"}}}}}), Error);
  CHECK_THROWS_AS(synthetic_request(json{{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {"a"}}}}}}), Error);
  CHECK_THROWS_AS(synthetic_request(json{{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {-2}}}}}}), Error);
  CHECK_THROWS_AS(synthetic_request(json{{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {1.5}}}}}}), Error);
  // Huge shapes are refused before anything is allocated.
  CHECK_THROWS_AS(synthetic_request(json{{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {4096, 4096}}}}}}),
                  Error);
  CHECK_THROWS_AS(
      synthetic_request(json{{"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {1LL << 40}}}}}}), Error);
}

TEST_CASE("runner_status: slots, lease and traffic from a window") {
  json s = state("1.0", "2.0", 10);
  s["lease"] = {{"owner", "ci"}, {"expires_at", "2026-11-28T12:00:00Z"}};
  Window w;
  w.stable.requests = 90;
  w.stable.errors = 0;
  w.stable.latency = {{0.01, 80}, {0.1, 90}, {INFINITY, 90}};
  w.canary.requests = 10;
  w.canary.errors = 5;
  w.canary.latency = {{0.01, 0}, {0.1, 10}, {INFINITY, 10}};
  RunnerStatus r = runner_status("http://a:1", s, w, 2.0);
  CHECK(r.reachable);
  CHECK(r.model == "m");
  CHECK(r.stable == "1.0");
  CHECK(r.canary == "2.0");
  CHECK(r.weight == 10);
  CHECK(r.lease_owner == "ci");
  REQUIRE(r.requests_per_second);
  CHECK(*r.requests_per_second == doctest::Approx(50.0));
  REQUIRE(r.error_rate);
  CHECK(*r.error_rate == doctest::Approx(0.05));
  REQUIRE(r.latency_p99);
  // 100 observations: rank 99 in the (0.01, 0.1] bucket holding 20 → 0.01 + 0.09 * 19/20.
  CHECK(*r.latency_p99 == doctest::Approx(0.01 + 0.09 * 19.0 / 20.0));
  json j = status_to_json(r);
  CHECK(j["lease"]["owner"] == "ci");
  CHECK(j["canary"] == "2.0");
}

TEST_CASE("runner_status without traffic has no rates, never zeros") {
  RunnerStatus r = runner_status("http://a:1", state("1.0", nullptr), Window{}, 1.0);
  REQUIRE(r.requests_per_second);
  CHECK(*r.requests_per_second == 0);
  CHECK_FALSE(r.error_rate);
  CHECK_FALSE(r.latency_p99);
  json j = status_to_json(r);
  CHECK(j["canary"].is_null());
  CHECK(j["lease"].is_null());
  CHECK(j["error_rate"].is_null());
  RunnerStatus none = runner_status("http://a:1", json("garbage"), std::nullopt, 1.0);
  CHECK(none.stable.empty());
  CHECK_FALSE(none.requests_per_second);
}

TEST_CASE("describe_analysis names each check and the request counts") {
  AnalysisSettings a;
  a.min_requests = 10;
  a.checks = {Check{Metric::error_rate, CheckKind::max, 0.05}};
  Measurement m;
  m.canary = {300.0, 1.0 / 3.0, 0.01};
  m.stable = {600.0, 0.0, 0.01};
  WindowVerdict v = evaluate(m, a);
  std::string line = describe_analysis(v, m);
  CHECK(line.rfind("fail: error_rate", 0) == 0);
  CHECK(line.find("0.05") != std::string::npos);
  CHECK(line.find("[canary 300 requests, stable 600]") != std::string::npos);
}
